"""A manual backup of the product database (runbook 상황 7: 현재 상태 백업, `./backup.sh manual`).

pg_dump in custom format into the backup directory as `ailex-YYYYMMDD-HHMMSS.dump`, the time in
the team's zone (AILEX_TIMEZONE, KST by default) like every time the bot shows.
The password goes to pg_dump through PGPASSWORD in its environment, never on its command line
(which any local user can read in the process list). pg_dump writes to a hidden partial file
that takes its final name only once pg_dump has succeeded, so a timeout, a failure or a crash
never leaves a truncated file that looks like a backup.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import subprocess
import tempfile
import time
from datetime import UTC, datetime, tzinfo
from pathlib import Path

import psycopg
from pydantic import BaseModel

from probes.base import BOT_APPLICATION_NAME, msg
from remediations import pg
from remediations.base import Outcome, Preview, plan_of

ACTION = "backup"
NAME_FORMAT = "ailex-%Y%m%d-%H%M%S"
NAME_PATTERN = "ailex-YYYYMMDD-HHMMSS.dump"
TIMEOUT_S = 900.0
# Every custom-format archive starts with these bytes.
_MAGIC = b"PGDMP"
# Connection keywords never handed to pg_dump's command line.
_SECRET_KEYWORDS = ("password", "sslpassword")

log = logging.getLogger(__name__)


class BackupPlan(BaseModel):
    """What a backup writes (Preview.data): the database, where (host:port/db), and into what."""

    target: str
    backup_dir: str
    pattern: str


def preview(*, dsn: str, backup_dir: str | os.PathLike[str]) -> Preview:
    """Say which database would be dumped, and where to."""
    directory = Path(backup_dir).expanduser().absolute()
    target = pg.describe(dsn)
    path = str(directory / NAME_PATTERN)
    summary = msg("backup.preview", target=target, path=path)
    try:
        psycopg.conninfo.conninfo_to_dict(dsn)
    except psycopg.Error as error:
        bad = msg("remediation.bad_dsn", error=pg.error_text(error, dsn))
        return Preview(action=ACTION, summary=summary, blocked=bad)
    if shutil.which("pg_dump") is None:
        return Preview(action=ACTION, summary=summary, blocked=msg("backup.no_pg_dump"))
    plan = BackupPlan(target=target, backup_dir=str(directory), pattern=NAME_PATTERN)
    return Preview(action=ACTION, summary=summary, data=plan.model_dump())


def _pg_dump_connection(dsn: str) -> tuple[str, dict[str, str]]:
    """A conninfo for pg_dump's command line without secrets, and the environment to run it in."""
    params = {
        keyword: str(value)
        for keyword, value in psycopg.conninfo.conninfo_to_dict(dsn).items()
        if value is not None
    }
    password = params.get("password")
    for keyword in _SECRET_KEYWORDS:
        params.pop(keyword, None)
    params["application_name"] = BOT_APPLICATION_NAME
    params.setdefault("connect_timeout", "10")
    env = dict(os.environ)
    if password:
        env["PGPASSWORD"] = password
    return psycopg.conninfo.make_conninfo(**params), env


def _run(command: list[str], *, env: dict[str, str], timeout_s: float) -> tuple[int, bytes]:
    """Run pg_dump; on timeout kill it and anything it started, then raise TimeoutExpired."""
    # Its own process group, so a timeout leaves no child holding the stderr pipe open.
    with subprocess.Popen(
        command,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    ) as process:
        try:
            _, stderr = process.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            raise
        return process.returncode, stderr


def _is_archive(path: Path) -> bool:
    try:
        with path.open("rb") as file:
            return file.read(len(_MAGIC)) == _MAGIC
    except OSError:
        return False


def _publish(partial: Path, directory: Path, stem: str) -> Path:
    """Give the finished dump its final name, never replacing an existing backup."""
    for attempt in range(100):
        final = directory / (f"{stem}.dump" if attempt == 0 else f"{stem}-{attempt}.dump")
        try:
            os.link(partial, final)
        except FileExistsError:
            continue
        except OSError:
            # A filesystem without hard links: a plain rename after a last look.
            if final.exists():
                continue
            partial.replace(final)
            return final
        partial.unlink()
        return final
    raise FileExistsError(f"no free backup name for {stem} in {directory}")


def execute(
    preview: Preview,
    *,
    dsn: str,
    now: datetime | None = None,
    timeout_s: float = TIMEOUT_S,
    tz: tzinfo = UTC,
) -> Outcome:
    """Dump the database with pg_dump -Fc into the previewed directory; report size and time."""
    plan = plan_of(preview, BackupPlan)
    if plan is None or preview.action != ACTION:
        return Outcome(ok=False, summary=msg("remediation.bad_preview", action=ACTION))
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        return Outcome(ok=False, summary=msg("backup.no_pg_dump"))
    try:
        conninfo, env = _pg_dump_connection(dsn)
    except psycopg.Error as error:
        return Outcome(
            ok=False, summary=msg("remediation.bad_dsn", error=pg.error_text(error, dsn))
        )

    directory = Path(plan.backup_dir)
    stem = (now or datetime.now(UTC)).astimezone(tz).strftime(NAME_FORMAT)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(prefix=f".{stem}-", suffix=".partial", dir=directory)
        os.close(handle)
    except OSError as error:
        failure = msg("backup.dir_failed", path=str(directory), error=pg.error_text(error, dsn))
        return Outcome(ok=False, summary=failure)
    partial = Path(name)

    command = [
        pg_dump,
        "--format=custom",
        "--no-password",
        f"--file={partial}",
        f"--dbname={conninfo}",
    ]
    started = time.monotonic()
    try:
        try:
            returncode, stderr = _run(command, env=env, timeout_s=timeout_s)
        except subprocess.TimeoutExpired:
            return Outcome(
                ok=False,
                summary=msg("backup.timeout", target=plan.target, seconds=f"{timeout_s:g}"),
            )
        except OSError as error:
            failure = msg("backup.failed", target=plan.target, error=pg.error_text(error, dsn))
            return Outcome(ok=False, summary=failure)
        duration = time.monotonic() - started
        if returncode != 0:
            text = stderr.decode("utf-8", "replace").strip() or f"pg_dump exited with {returncode}"
            failure = msg("backup.failed", target=plan.target, error=pg.error_text(text, dsn))
            return Outcome(ok=False, summary=failure)
        if not _is_archive(partial):
            return Outcome(ok=False, summary=msg("backup.incomplete", target=plan.target))
        try:
            final = _publish(partial, directory, stem)
        except OSError as error:
            failure = msg("backup.dir_failed", path=str(directory), error=pg.error_text(error, dsn))
            return Outcome(ok=False, summary=failure)
    finally:
        # Whatever went wrong, no half-written file is left behind.
        partial.unlink(missing_ok=True)

    size = final.stat().st_size
    log.info("backup of %s written to %s (%d bytes, %.1f s)", plan.target, final, size, duration)
    summary = msg(
        "backup.done",
        target=plan.target,
        path=str(final),
        size=pg.human_size(size),
        seconds=f"{duration:.1f}",
    )
    return Outcome(
        ok=True,
        summary=summary,
        data={
            "target": plan.target,
            "path": str(final),
            "bytes": size,
            "duration_s": round(duration, 3),
        },
    )
