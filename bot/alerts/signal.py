"""What one webhook delivery says, once read and authenticated: a Signal, or why not."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class Source(StrEnum):
    """Where alerts come from; each is `POST /webhooks/<value>`."""

    UPTIMEROBOT = "uptimerobot"
    SENTRY = "sentry"
    VERCEL = "vercel"
    GITHUB = "github"


class AlertState(StrEnum):
    FIRING = "firing"
    RESOLVED = "resolved"
    INFO = "info"


@dataclass(frozen=True)
class Signal:
    """One alert as its source sent it, reduced to what the bot keeps.

    `key` is the alert's identity at the source (UptimeRobot monitor ID, Sentry issue or
    metric-alert ID, Vercel project, GitHub workflow path); `delivery_id` tells a repeated
    delivery; `name` is what the alert names (the incident's title is made from it); `text`
    is what the catalogue matches (Sentry: title and culprit, or a metric alert's
    description title, rule name and aggregate)."""

    source: Source
    delivery_id: str
    key: str
    state: AlertState
    kind: str
    name: str
    summary: str = ""
    text: str = ""
    level: str | None = None
    url: str | None = None
    occurred_at: datetime | None = None
    details: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Ignored:
    """A delivery that is authentic but not an alert the bot acts on (answered 200)."""

    reason: str


class Refused(Exception):
    """A delivery refused: 400 (unreadable), 401 (secret or signature), 404 (source off),
    413 (too large)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
