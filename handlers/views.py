"""Modal submissions: the resolve form."""

from __future__ import annotations

import json
from typing import Any

from slack_bolt import Ack, App

from bot.core import Core
from bot.ids import BlockId, CallbackId
from bot.incidents import Actor, UserError


def form_value(view: dict[str, Any], block_id: str) -> str | None:
    """The text typed into an input block (None when left empty)."""
    block = (view.get("state") or {}).get("values", {}).get(block_id) or {}
    for element in block.values():
        value = element.get("value")
        if isinstance(value, str) and value.strip():
            return value
    return None


def metadata(view: dict[str, Any]) -> dict[str, Any]:
    try:
        data = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        data = {}
    if not isinstance(data, dict):
        raise UserError("error.bad_form")
    return data


def register(app: App, core: Core) -> None:
    """Listen for the bot's modals."""

    @app.view(CallbackId.RESOLVE.value)
    def on_resolve(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        data = metadata(view)
        cause = form_value(view, BlockId.CAUSE)
        if not cause:
            ack(response_action="errors", errors={BlockId.CAUSE: core.t("error.cause_required")})
            return
        actor = Actor(
            user_id=str((body.get("user") or {}).get("id") or ""),
            channel_id=str(data.get("channel_id") or ""),
            delivery_key=f"view:{view.get('id')}" if view.get("id") else None,
        )
        try:
            incident_id = int(data["incident_id"])
        except (KeyError, TypeError, ValueError):
            raise UserError("error.bad_form") from None
        core.incidents.resolve(
            incident_id=incident_id,
            actor=actor,
            cause=cause,
            impact=form_value(view, BlockId.IMPACT),
            actions=form_value(view, BlockId.ACTIONS),
            prevention_short=form_value(view, BlockId.PREVENTION_SHORT),
            prevention_long=form_value(view, BlockId.PREVENTION_LONG),
        )
        ack()
