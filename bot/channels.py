"""Incident channel names: inc-YYYYMMDD-<slug>, within Slack's rules."""

from __future__ import annotations

import re

from anyascii import anyascii

MAX_LENGTH = 80  # Slack's limit for channel names


def slugify(title: str) -> str:
    """Lowercase ASCII letters, digits and hyphens; Korean romanised (서버 다운: seobeo-daun)."""
    ascii_title = anyascii(title).lower()
    # anyascii spells emoji as :name:; they carry no meaning in a channel name.
    ascii_title = re.sub(r":[a-z0-9_+-]+:", " ", ascii_title)
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title).strip("-")
    return re.sub(r"-{2,}", "-", slug)


def channel_name(*, title: str, date: str, incident_id: int, attempt: int = 1) -> str:
    """The name to try for an incident's channel; `attempt` > 1 after a name collision."""
    prefix = f"inc-{date}-"
    suffix = "" if attempt == 1 else f"-{attempt}"
    slug = slugify(title) or f"incident-{incident_id}"
    room = MAX_LENGTH - len(prefix) - len(suffix)
    slug = slug[:room].rstrip("-") or str(incident_id)
    return f"{prefix}{slug}{suffix}"
