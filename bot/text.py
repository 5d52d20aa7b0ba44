"""Formatting shared by messages, cards and reports: times in the team's zone, durations."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timedelta
from difflib import get_close_matches
from zoneinfo import ZoneInfo

from bot.messages import Catalogue


def fmt_datetime(dt: datetime, zone: ZoneInfo) -> str:
    """2026-11-26 14:03 KST"""
    value = dt.astimezone(zone)
    return f"{value:%Y-%m-%d %H:%M} {value.tzname()}"


def fmt_time(dt: datetime, zone: ZoneInfo, *, since: datetime | None = None) -> str:
    """14:03, or 11-27 14:03 when the day differs from `since`'s."""
    value = dt.astimezone(zone)
    if since is not None and since.astimezone(zone).date() != value.date():
        return f"{value:%m-%d %H:%M}"
    return f"{value:%H:%M}"


def fmt_short_duration(delta: timedelta, t: Catalogue) -> str:
    """Like fmt_duration, in seconds under a minute (a time to acknowledge: 45초 / 45s)."""
    seconds = max(0, int(delta.total_seconds()))
    if seconds < 60:
        return t("duration.seconds", seconds=seconds)
    return fmt_duration(delta, t)


def fmt_duration(delta: timedelta, t: Catalogue) -> str:
    """1시간 5분 / 1h 5m; under a minute counts as 0분."""
    minutes = max(0, int(delta.total_seconds() // 60))
    hours, minutes = divmod(minutes, 60)
    if hours:
        return t("duration.hours_minutes", hours=hours, minutes=minutes)
    return t("duration.minutes", minutes=minutes)


_MRKDWN_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


def escape(text: str) -> str:
    """Text a user typed, made safe to put inside Slack mrkdwn."""
    return re.sub(r"[&<>]", lambda m: _MRKDWN_ESCAPES[m.group(0)], text)


def clip(text: str, limit: int) -> str:
    """At most `limit` characters, with an ellipsis when cut."""
    return text if len(text) <= limit else text[: max(0, limit - 1)] + "…"


def closest(word: str, known: Iterable[str]) -> str | None:
    """The known word a typo most likely meant (`databse` -> `database`), or None."""
    word = word.strip().lower()
    if not word:
        return None
    matches = get_close_matches(word, [k for k in known if k != word], n=1, cutoff=0.6)
    return matches[0] if matches else None


CHECK_STATUS_ORDER = ("fail", "error", "warn", "ok", "skipped")


def status_counts(counts: dict[str, int], t: Catalogue) -> str:
    """How a diagnosis' checks came out, worst first, naming only the statuses it saw
    (`실패 2 · 오류 1 · 설정 없음 2`); `-` when it saw none."""
    return (
        " · ".join(
            t(f"live.count.{status}", n=int(counts.get(status) or 0))
            for status in CHECK_STATUS_ORDER
            if counts.get(status)
        )
        or "-"
    )
