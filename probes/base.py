"""What every probe returns: a status, a summary to be translated, and its data."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field


class Msg(BaseModel):
    """A user-facing sentence not yet translated: a catalogue key and its parameters."""

    key: str
    params: dict[str, Any] = Field(default_factory=dict)


def msg(key: str, **params: Any) -> Msg:
    """Build a Msg; keys live in the catalogue (bot/messages)."""
    return Msg(key=key, params=params)


class CheckStatus(StrEnum):
    OK = "ok"
    WARN = "warn"
    FAIL = "fail"
    ERROR = "error"
    SKIPPED = "skipped"


class Finding(BaseModel):
    """The outcome of one check, as the probe saw it."""

    status: CheckStatus
    summary: Msg
    data: dict[str, Any] = Field(default_factory=dict)


def skipped(*settings: str) -> Finding:
    """A check that cannot run because these settings are missing."""
    return Finding(
        status=CheckStatus.SKIPPED,
        summary=msg("check.skipped", settings=", ".join(settings)),
        data={"missing": list(settings)},
    )


# Every connection the bot opens to the product database names itself so; the
# idle-connection kill never touches a backend with this application_name.
BOT_APPLICATION_NAME = "ailex-incident-bot"
