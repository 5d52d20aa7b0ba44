"""The App Home: the home tab published when a user opens it, its declare button and form."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App

from bot.app import Core
from bot.errors import UserError
from bot.evidence.home import declare_modal, notice_modal
from bot.incidents.flows import Actor, SameTitleOpen
from bot.incidents.vocabulary import Severity
from bot.slack.ids import ActionId, BlockId, CallbackId
from bot.text import escape
from handlers.modals import form_value, submitter


def _severity(view: dict[str, Any]) -> Severity:
    block = (view.get("state") or {}).get("values", {}).get(BlockId.SEVERITY) or {}
    for element in block.values():
        selected = (element or {}).get("selected_option") or {}
        try:
            return Severity(str(selected.get("value") or element.get("value") or ""))
        except ValueError:
            break
    return Severity.P2


def register(app: App, core: Core) -> None:
    """Listen for the home tab being opened, its button and its form."""

    @app.event("app_home_opened")
    def on_home_opened(ack: Ack, event: dict[str, Any]) -> None:
        ack()
        user = event.get("user")
        if event.get("tab", "home") != "home" or not isinstance(user, str) or not user:
            return
        core.spawn(core.publish_home, user)

    @app.action(ActionId.HOME_DECLARE.value)
    def on_declare_button(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        trigger = body.get("trigger_id")
        if not trigger:
            return
        view = (
            declare_modal(core.t)
            if core.settings.incident_channels
            else notice_modal(core.t, core.t("home.modal.channels_off"))
        )
        core.spawn(core.client.views_open, trigger_id=trigger, view=view)

    @app.view(CallbackId.HOME_DECLARE.value)
    def on_declare(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        if not core.settings.incident_channels:
            # No channel of its own, and the home tab is no channel to live in.
            ack(
                response_action="update",
                view=notice_modal(core.t, core.t("home.modal.channels_off")),
            )
            return
        title = (form_value(view, BlockId.TITLE) or "").strip()
        if not title:
            ack(
                response_action="errors",
                errors={BlockId.TITLE: core.t("home.modal.title_required")},
            )
            return
        actor: Actor = submitter(body, view)
        try:
            incident = core.incidents.declare(title=title, severity=_severity(view), actor=actor)
        except SameTitleOpen as open_one:
            ack(response_action="errors", errors={BlockId.TITLE: core.t.render(open_one.message)})
            return
        except UserError as error:
            ack(response_action="errors", errors={BlockId.TITLE: core.t.render(error.message)})
            return
        text = core.t(
            "home.modal.declared",
            severity=incident.severity,
            id=incident.id,
            title=escape(incident.title),
        )
        ack(response_action="update", view=notice_modal(core.t, text))
        core.spawn(core.publish_home, actor.user_id)
