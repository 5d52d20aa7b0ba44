"""Buttons: the card's resolve button (more come with diagnosis and approvals)."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond

from bot.core import Core
from bot.ids import ActionId
from bot.incidents import Actor, UserError
from handlers.commands import open_resolve_modal


def actor_of(body: dict[str, Any]) -> Actor:
    """Who pressed, in which channel, and the delivery that carried it."""
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get(
        "channel_id"
    )
    trigger = body.get("trigger_id")
    return Actor(
        user_id=str((body.get("user") or {}).get("id") or ""),
        channel_id=str(channel or ""),
        delivery_key=f"action:{trigger}" if trigger else None,
        response_url=body.get("response_url"),
    )


def _incident_id(action: dict[str, Any]) -> int:
    try:
        return int(action.get("value") or "")
    except ValueError:
        raise UserError("error.bad_button") from None


def register(app: App, core: Core) -> None:
    """Listen for the bot's buttons."""

    @app.action(ActionId.RESOLVE.value)
    def on_resolve(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond):
        ack()
        actor = actor_of(body)
        core.take(actor)
        incident = core.incidents.get(_incident_id(action))
        if incident is None:
            raise UserError("error.no_incident")
        if incident.resolved_at is not None:
            raise UserError("error.incident_resolved", id=incident.id)
        core.spawn(open_resolve_modal, core, incident.id, body["trigger_id"], actor, respond)
