"""Short, safe strings for summaries and data: truncation, secret scrubbing, times."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

# Credentials that show up in error bodies and logs even when we never sent them there:
# OpenAI keys (echoed by its 401), bearer tokens, JWTs (Supabase keys and sessions), and
# passwords inside connection URLs.
_SECRET_PATTERNS = (
    re.compile(r"\bsk-[A-Za-z0-9_\-*.]{3,}"),
    re.compile(r"(?i)\bbearer\s+[A-Za-z0-9_\-.=~+/]+"),
    re.compile(r"\beyJ[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+(?:\.[A-Za-z0-9_\-]*)?"),
    re.compile(r"\b(?:ghp|gho|ghs|ghu|github_pat)_[A-Za-z0-9_]{10,}"),
    re.compile(r"\bsb_(?:secret|publishable)_[A-Za-z0-9_\-]{8,}"),
)
_URL_PASSWORD = re.compile(r"(?P<scheme>[a-z][a-z0-9+.\-]*://[^:/@\s]+):[^@\s]+@", re.I)
REDACTED = "[redacted]"


def scrub(text: str, secrets: Iterable[str | None] = (), *, limit: int = 200) -> str:
    """One line of `text` without known secrets or anything shaped like one, cut to `limit`."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub(REDACTED, text)
    text = _URL_PASSWORD.sub(rf"\g<scheme>:{REDACTED}@", text)
    return truncate(" ".join(text.split()), limit)


def truncate(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, marked with an ellipsis when cut."""
    return text if len(text) <= limit else text[: max(limit - 1, 0)] + "…"


def iso(moment: datetime | None) -> str | None:
    """An aware datetime as an ISO 8601 string in UTC (None stays None)."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat()


def from_epoch_ms(value: object) -> datetime | None:
    """A Vercel-style millisecond timestamp as an aware datetime, or None when not a number."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        return datetime.fromtimestamp(value / 1000, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def ensure_aware(moment: datetime) -> datetime:
    """A datetime with a time zone; a naive one is taken as UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def minutes_between(earlier: datetime, later: datetime) -> int:
    """Whole minutes from `earlier` to `later` (negative when reversed)."""
    return int((ensure_aware(later) - ensure_aware(earlier)).total_seconds() // 60)


def round_ms(seconds: float) -> int:
    """Seconds as whole milliseconds."""
    return round(seconds * 1000)


def short_number(value: float) -> str:
    """A number for a sentence, one decimal at most: '0.5', '2', '12.3'."""
    return f"{value:.1f}".removesuffix(".0")


def age_text(minutes: int) -> dict[str, Any]:
    """An age as a Msg-shaped parameter, translated with the sentence it goes into:
    '45분' / '45m', '5시간 12분' / '5h 12m', '3일 4시간' / '3d 4h'."""
    minutes = max(minutes, 0)
    if minutes < 60:
        return {"key": "age.minutes", "params": {"minutes": minutes}}
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        if minutes:
            return {"key": "age.hours_minutes", "params": {"hours": hours, "minutes": minutes}}
        return {"key": "age.hours", "params": {"hours": hours}}
    days, hours = divmod(hours, 24)
    if hours:
        return {"key": "age.days_hours", "params": {"days": days, "hours": hours}}
    return {"key": "age.days", "params": {"days": days}}
