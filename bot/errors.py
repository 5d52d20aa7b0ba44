"""The errors every layer above the store may raise or meet: a request the user cannot have,
and a Slack delivery already taken."""

from __future__ import annotations

from typing import Any

from probes.base import Msg, msg


class UserError(Exception):
    """Something the user asked for cannot be done; `message` says why, in their language."""

    def __init__(self, key: str, *, suggestion: str | None = None, **params: Any) -> None:
        super().__init__(key)
        self.message: Msg = msg(key, **params)
        if suggestion:
            # "혹시 `database`?": the known word closest to a typo.
            self.message = msg(
                "error.did_you_mean", message=self.message.model_dump(), word=suggestion
            )


class Duplicate(Exception):
    """This Slack delivery was already taken (a retry or a repeat): nothing more to do."""
