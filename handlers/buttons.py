"""Buttons: resolve, diagnose (button or scenario menu), JWT inspection, remediation requests."""

from __future__ import annotations

import json
from typing import Any

from slack_bolt import Ack, App, Respond

from bot.app import Core
from bot.approvals.catalogue import action_of
from bot.diagnosis.flows import scenario_key
from bot.errors import UserError
from bot.incidents.flows import Actor
from bot.incidents.vocabulary import Severity
from bot.slack.ids import ActionId
from bot.text import fmt_datetime
from handlers.commands import declare
from handlers.edge import row_id


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


def _number(action: dict[str, Any]) -> int:
    number = row_id(action.get("value"))
    if number is None:
        raise UserError("error.bad_button")
    return number


def _value(action: dict[str, Any]) -> str:
    """A button's value, or the chosen option of a menu."""
    selected = action.get("selected_option") or {}
    value = selected.get("value") or action.get("value")
    if not isinstance(value, str) or not value:
        raise UserError("error.bad_button")
    return value


def register(app: App, core: Core) -> None:
    """Listen for the bot's buttons."""

    @app.action(ActionId.RESOLVE.value)
    def on_resolve(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond):
        ack()
        actor = actor_of(body)
        core.take(actor)
        incident = core.incidents.get(_number(action))
        if incident is None:
            raise UserError("error.no_incident")
        if incident.resolved_at is not None:
            raise UserError("error.incident_resolved", id=incident.id)
        core.spawn(core.open_resolve_modal, incident.id, body["trigger_id"], actor, respond)

    @app.action(ActionId.ACK.value)
    def on_ack(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        actor = actor_of(body)
        incident = core.alerts.acknowledge(incident_id=_number(action), actor=actor)
        core.spawn(
            respond,
            text=core.t("ack.ack", id=incident.id),
            response_type="ephemeral",
            replace_original=False,
        )

    @app.action(ActionId.REMINDER_SNOOZE.value)
    def on_snooze(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond):
        ack()
        at = core.reminders.snooze(incident_id=_number(action), actor=actor_of(body))
        core.spawn(
            respond,
            text=core.t("reminder.snoozed", at=fmt_datetime(at, core.zone)),
            response_type="ephemeral",
            replace_original=False,
        )

    # A triage-mode alert's two buttons: declare it, or dismiss it.
    @app.action(ActionId.ALERT_DECLARE.value)
    @app.action(ActionId.ALERT_DISMISS.value)
    def on_alert_decision(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        declare = action.get("action_id") == ActionId.ALERT_DECLARE
        core.alerts.decide(alert_id=_number(action), declare=declare, actor=actor_of(body))

    @app.action(ActionId.DECLARE_CONFIRM.value)
    def on_declare_confirm(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond
    ) -> None:
        ack()
        try:
            wanted = json.loads(_value(action))
            severity = Severity(wanted["severity"])
            title = str(wanted["title"])
        except (ValueError, KeyError, TypeError):
            raise UserError("error.bad_button") from None
        text = declare(core, title=title, severity=severity, actor=actor_of(body), force=True)
        core.spawn(respond, text=text, response_type="ephemeral", replace_original=True)

    @app.action(ActionId.RESOLVE_CONFIRM.value)
    def on_resolve_confirm(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond
    ) -> None:
        """ "Resolve anyway" after the warning that the last diagnosis still fails."""
        ack()
        try:
            data = json.loads(_value(action))
            incident_id = int(data["incident_id"])
            cause = data.get("cause")
        except (ValueError, TypeError, KeyError):
            raise UserError("error.bad_button") from None
        if not (isinstance(cause, str) and cause.strip()):
            raise UserError("error.bad_button")
        incident = core.incidents.get(incident_id)
        if incident is None:
            raise UserError("error.no_incident")
        if incident.resolved_at is not None:
            raise UserError("error.incident_resolved", id=incident.id)
        core.incidents.resolve(incident_id=incident.id, actor=actor_of(body), cause=cause)
        core.spawn(
            respond,
            text=core.t("resolve.ack", id=incident.id),
            response_type="ephemeral",
            replace_original=True,
        )

    def on_diagnose(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        core.start_diagnosis(scenario_key(_value(action)), actor_of(body))

    app.action(ActionId.DIAGNOSE.value)(on_diagnose)
    app.action(ActionId.DIAGNOSE_SELECT.value)(on_diagnose)

    @app.action(ActionId.JWT.value)
    def on_jwt(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        core.take(actor_of(body))
        core.spawn(
            core.client.views_open, trigger_id=body["trigger_id"], view=core.render.jwt_modal()
        )

    @app.action(ActionId.REMEDIATE.value)
    def on_remediate(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond):
        ack()
        text = core.request_remediation(
            _value(action).split(), actor_of(body), respond, body.get("trigger_id")
        )
        if text:
            core.spawn(respond, text=text, response_type="ephemeral", replace_original=False)

    @app.action(ActionId.APPROVE.value)
    def on_approve(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        actor = actor_of(body)
        request_id = _number(action)
        request = core.approvals.get(request_id)
        if action_of(request.action).secret_at_approval:
            # The new key is pasted by the approver in a form; approval happens on submit.
            core.approvals.vet_approval(request_id=request_id, actor=actor)
            core.spawn(
                core.client.views_open,
                trigger_id=body["trigger_id"],
                view=core.render.secret_modal(request_id=request_id),
            )
            return
        core.approvals.approve(request_id=request_id, actor=actor)
        core.spawn(core.approvals.execute, request_id)

    @app.action(ActionId.DENY.value)
    def on_deny(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        core.approvals.deny(request_id=_number(action), actor=actor_of(body))
