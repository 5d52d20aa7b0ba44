"""What every probe returns: a status, a summary to be translated, and its data."""

from __future__ import annotations

import functools
import logging
import traceback
from collections.abc import Awaitable, Callable, Coroutine
from enum import StrEnum
from typing import Any, ParamSpec

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


class ProbeFailure(Exception):
    """Why a check got no usable answer: `kind` names it, `finding()` says it to the user."""

    kind: str = "unknown"

    def finding(self, status: CheckStatus = CheckStatus.ERROR, **data: Any) -> Finding:
        """This failure as a Finding (ERROR by default: the check could not run)."""
        raise NotImplementedError


def skipped_unless(**settings: object) -> Finding:
    """`skipped` naming those of these settings (by their SPEC 3.2 names) that have no value."""
    return skipped(*(name for name, value in settings.items() if not value))


# Every connection the bot opens to the product database names itself so; the
# idle-connection kill never touches a backend with this application_name.
BOT_APPLICATION_NAME = "ailex-incident-bot"

log = logging.getLogger(__name__)


P = ParamSpec("P")


def guarded(probe: Callable[P, Awaitable[Finding]]) -> Callable[P, Coroutine[Any, Any, Finding]]:
    """Wrap a probe so that an exception nobody foresaw still comes back as an error Finding."""

    @functools.wraps(probe)
    async def run(*args: P.args, **kwargs: P.kwargs) -> Finding:
        try:
            return await probe(*args, **kwargs)
        except Exception as exc:
            # Exception texts may quote a URL or a DSN: log where it happened, not what it said.
            frame = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
            where = f"{frame.filename}:{frame.lineno}" if frame else "?"
            log.error("probe %s failed: %s at %s", probe.__name__, type(exc).__name__, where)
            return Finding(
                status=CheckStatus.ERROR,
                summary=msg("check.unexpected", error=type(exc).__name__),
                data={"error": type(exc).__name__},
            )

    return run
