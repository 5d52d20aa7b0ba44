"""The newest manual backup on disk (상황 7: a backup before any restore)."""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from probes.base import CheckStatus, Finding, guarded, msg
from probes.text import age_text, ensure_aware, iso, minutes_between, scrub


@guarded
async def check_latest_backup(
    *, directory: str, max_age_hours: float = 24.0, now: datetime | None = None
) -> Finding:
    """Age of the newest file in the backup directory: none, missing or stale warns.

    The bot's own backups are named ailex-YYYYMMDD-HHMMSS.dump, but any regular file counts:
    what matters is that something recent exists.
    """
    moment = ensure_aware(now) if now else datetime.now(UTC)
    # Listing a directory is quick but still blocking I/O: keep it off the event loop.
    try:
        newest, count = await asyncio.to_thread(_newest_file, Path(directory))
    except FileNotFoundError:
        return Finding(
            status=CheckStatus.WARN,
            summary=msg("check.backup.no_directory", directory=directory),
            data={"directory": directory, "exists": False},
        )
    except OSError as exc:
        return Finding(
            status=CheckStatus.ERROR,
            summary=msg("check.backup.unreadable", directory=directory),
            data={"directory": directory, "detail": scrub(f"{type(exc).__name__}: {exc.strerror}")},
        )
    data: dict[str, Any] = {"directory": directory, "exists": True, "files": count}
    if newest is None:
        return Finding(
            status=CheckStatus.WARN,
            summary=msg("check.backup.none", directory=directory),
            data=data,
        )
    name, modified, size = newest
    minutes = minutes_between(modified, moment)
    data.update(
        newest=name,
        modified=iso(modified),
        size_bytes=size,
        age_hours=round(minutes / 60, 1),
        max_age_hours=max_age_hours,
    )
    params = {"file": name, "age": age_text(minutes)}
    if minutes > max_age_hours * 60:
        return Finding(
            status=CheckStatus.WARN, summary=msg("check.backup.stale", **params), data=data
        )
    return Finding(status=CheckStatus.OK, summary=msg("check.backup.fresh", **params), data=data)


def _newest_file(directory: Path) -> tuple[tuple[str, datetime, int] | None, int]:
    """(name, modified, size) of the newest regular file, and how many there are."""
    newest: tuple[str, datetime, int] | None = None
    count = 0
    with os.scandir(directory) as entries:
        for entry in entries:
            if not entry.is_file(follow_symlinks=False):
                continue
            stat = entry.stat(follow_symlinks=False)
            count += 1
            modified = datetime.fromtimestamp(stat.st_mtime, tz=UTC)
            if newest is None or modified > newest[1]:
                newest = (entry.name, modified, stat.st_size)
    return newest, count
