"""The `/ailex` slash command: parse, call the core once, answer (ephemeral) in the ack."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, Respond

from bot.app import Core
from bot.approvals.catalogue import action_of, check_arguments, check_configured, undoes
from bot.approvals.engine import AlreadyPending
from bot.diagnosis.flows import scenario_key
from bot.errors import Duplicate, UserError
from bot.incidents.blocks import actions, button, section
from bot.incidents.flows import Actor, SameTitleOpen
from bot.incidents.report import impact_started
from bot.incidents.vocabulary import Severity
from bot.slack.ids import ActionId
from bot.text import escape, fmt_datetime
from handlers.parse import Command, Name, ParseError, parse

SLASH_COMMAND = "/ailex"

Handler = Callable[[Core, Command, Actor, Ack, Respond], None]


def actor_of(command: dict[str, Any]) -> Actor:
    """Who typed the command, where, and the delivery that carried it."""
    trigger = command.get("trigger_id")
    return Actor(
        user_id=str(command.get("user_id") or ""),
        channel_id=str(command.get("channel_id") or ""),
        delivery_key=f"command:{trigger}" if trigger else None,
        response_url=command.get("response_url"),
    )


def ephemeral(ack: Ack, text: str, blocks: list[dict[str, Any]] | None = None) -> None:
    ack(text=text, blocks=blocks or [section(text)], response_type="ephemeral")


def register(app: App, core: Core) -> None:
    """Listen for `/ailex`."""

    @app.command(SLASH_COMMAND)
    def on_ailex(ack: Ack, command: dict[str, Any], respond: Respond) -> None:
        actor = actor_of(command)
        try:
            parsed = parse(command.get("text"))
        except ParseError as error:
            _usage(core, ack, error)
            return
        HANDLERS[parsed.name](core, parsed, actor, ack, respond)


def _usage(core: Core, ack: Ack, error: ParseError) -> None:
    t = core.t
    # The parameters are what the user typed: shown literally, never as mentions or links.
    params = {k: escape(v) if isinstance(v, str) else v for k, v in error.params.items()}
    reason = t(f"error.{error.reason}", **params)
    if error.suggestion:
        reason = t("error.did_you_mean", message=reason, word=error.suggestion)
    if error.usage is None:
        ephemeral(ack, reason, [section(reason), *core.render.help()])
        return
    ephemeral(ack, f"{reason}\n{t('help.usage')} {t(f'help.{error.usage}')}")


def _incident_here(core: Core, actor: Actor) -> Any:
    incident = core.incidents.for_channel(actor.channel_id)
    if incident is None:
        raise UserError("error.not_incident_channel")
    return incident


# -- subcommands ------------------------------------------------------------------------------
def _help(core: Core, cmd: Command, actor: Actor, ack: Ack, respond: Respond) -> None:
    ack(text=core.t("help.title"), blocks=core.render.help(), response_type="ephemeral")


def _incident_start(core: Core, cmd: Command, actor: Actor, ack: Ack, respond: Respond) -> None:
    assert cmd.severity is not None
    try:
        text = declare(core, title=cmd.text, severity=cmd.severity, actor=actor)
    except SameTitleOpen as open_one:
        # Point at the open incident; a second one with this title only on purpose.
        reason = core.t.render(open_one.message)
        value = json.dumps({"severity": cmd.severity.value, "title": cmd.text})
        confirm = button(
            core.t("declare.confirm_button"), ActionId.DECLARE_CONFIRM, value, style="danger"
        )
        ephemeral(ack, reason, [section(reason), actions(confirm)])
        return
    ephemeral(ack, text)


def declare(
    core: Core, *, title: str, severity: Severity, actor: Actor, force: bool = False
) -> str:
    """Declare the incident; return what to tell the declarer."""
    incident = core.incidents.declare(title=title, severity=severity, actor=actor, force=force)
    key = "declare.ack_channel" if core.settings.incident_channels else "declare.ack_here"
    return core.t(key, id=incident.id, severity=incident.severity, title=escape(incident.title))


def _incident_list(core: Core, cmd: Command, actor: Actor, ack: Ack, respond: Respond) -> None:
    blocks = core.render.incident_list(core.incidents.list_open(), title_key="list.open_title")
    ack(text=core.t("list.fallback"), blocks=blocks, response_type="ephemeral")


def _status(core: Core, cmd: Command, actor: Actor, ack: Ack, respond: Respond) -> None:
    incident = _incident_here(core, actor)
    if cmd.status is None:
        text, blocks = core.render.card(
            incident, core.incidents.event_kinds(incident.id), core.live(incident.id)
        )
        ack(text=text, blocks=blocks, response_type="ephemeral")
        return
    core.incidents.set_status(incident_id=incident.id, status=cmd.status, actor=actor)
    ephemeral(ack, core.t("status.ack", status=core.render.status_name(cmd.status)))


def _note(core: Core, cmd: Command, actor: Actor, ack: Ack, respond: Respond) -> None:
    incident = _incident_here(core, actor)
    core.incidents.note(incident_id=incident.id, text=cmd.text, actor=actor)
    ephemeral(ack, core.t("note.ack"))


def _severity(core: Core, cmd: Command, actor: Actor, ack: Ack, respond: Respond) -> None:
    assert cmd.severity is not None
    incident = _incident_here(core, actor)
    old = core.incidents.set_severity(incident_id=incident.id, severity=cmd.severity, actor=actor)
    ephemeral(ack, core.t("severity.ack", old=old, new=cmd.severity))


def _resolve(core: Core, cmd: Command, actor: Actor, ack: Ack, respond: Respond) -> None:
    incident = _incident_here(core, actor)
    if incident.resolved_at is not None:
        raise UserError("error.incident_resolved", id=incident.id)
    if cmd.text:
        live = core.live(incident.id)
        if live.still_failing:
            # The last diagnosis still fails: ask before calling it resolved.
            text, blocks = core.render.resolve_confirm(incident, live, cause=cmd.text)
            ack(text=text, blocks=blocks, response_type="ephemeral")
            return
        core.incidents.resolve(incident_id=incident.id, actor=actor, cause=cmd.text)
        ephemeral(ack, core.t("resolve.ack", id=incident.id))
        return
    trigger_id = actor.delivery_key.split(":", 1)[1] if actor.delivery_key else None
    if not trigger_id:
        raise UserError("error.resolve_needs_cause")
    ack()
    core.spawn(open_resolve_modal, core, incident.id, trigger_id, actor, respond)


def _reopen(core: Core, cmd: Command, actor: Actor, ack: Ack, respond: Respond) -> None:
    incident = _incident_here(core, actor)
    core.incidents.reopen(incident_id=incident.id, actor=actor)
    ephemeral(ack, core.t("reopen.ack", id=incident.id))


def open_resolve_modal(
    core: Core,
    incident_id: int,
    trigger_id: str,
    actor: Actor,
    respond: Respond | None,
    *,
    edit: bool = False,
) -> None:
    """Open the 원인/조치/재발 방지 form (`edit`: again, filled with what the report says);
    when Slack will not, say how to do without it."""
    incident = core.incidents.get(incident_id)
    if incident is None:
        return
    started = impact_started(core.incidents.events(incident_id))
    try:
        core.client.views_open(
            trigger_id=trigger_id,
            view=core.render.resolve_modal(
                incident, channel_id=actor.channel_id, edit=edit, impact_started=started
            ),
        )
    except Exception:
        if respond is not None:
            key = "error.edit_modal_failed" if edit else "error.modal_failed"
            respond(text=core.t(key), response_type="ephemeral")
        raise


def _report(core: Core, cmd: Command, actor: Actor, ack: Ack, respond: Respond) -> None:
    incident = _incident_here(core, actor)
    core.incidents.post_report(incident_id=incident.id, actor=actor)
    ephemeral(ack, core.t("report.ack", id=incident.id))


def _report_edit(core: Core, cmd: Command, actor: Actor, ack: Ack, respond: Respond) -> None:
    incident = _incident_here(core, actor)
    trigger_id = actor.delivery_key.split(":", 1)[1] if actor.delivery_key else None
    if not trigger_id:
        raise UserError("error.edit_modal_failed")
    ack()
    core.spawn(open_resolve_modal, core, incident.id, trigger_id, actor, respond, edit=True)


def _started(core: Core, cmd: Command, actor: Actor, ack: Ack, respond: Respond) -> None:
    incident = _incident_here(core, actor)
    at = core.incidents.set_impact_start(incident_id=incident.id, text=cmd.text, actor=actor)
    ephemeral(ack, core.t("started.ack", at=fmt_datetime(at, core.zone)))


def _contacts(core: Core, cmd: Command, actor: Actor, ack: Ack, respond: Respond) -> None:
    ephemeral(ack, core.t("contacts.checking"))
    core.spawn(_send_contacts, core, respond)


def _send_contacts(core: Core, respond: Respond) -> None:
    text, blocks = core.contacts()
    respond(text=text, blocks=blocks, response_type="ephemeral")


def _diagnose(core: Core, cmd: Command, actor: Actor, ack: Ack, respond: Respond) -> None:
    scenario = scenario_key(cmd.args[0])
    recorded = start_diagnosis(core, scenario, actor)
    key = "diagnosis.ack_incident" if recorded else "diagnosis.ack_private"
    ephemeral(ack, core.t(key, scenario=core.t(f"scenario.{scenario}")))


def start_diagnosis(core: Core, scenario: str, actor: Actor) -> bool:
    """Record the diagnosis (in this channel's incident, if any), then run it after the ack;
    True when it went into an incident's timeline."""
    incident = core.incidents.for_channel(actor.channel_id)
    run_id = core.diagnoses.start(scenario=scenario, actor=actor, incident=incident)
    core.spawn(core.diagnoses.run, run_id)
    return incident is not None


def _remediate(core: Core, cmd: Command, actor: Actor, ack: Ack, respond: Respond) -> None:
    trigger_id = actor.delivery_key.split(":", 1)[1] if actor.delivery_key else None
    text = request_remediation(core, list(cmd.args), actor, respond, trigger_id)
    if text:
        ephemeral(ack, text)
    else:
        ack()


def request_remediation(
    core: Core,
    args: list[str],
    actor: Actor,
    respond: Respond | None,
    trigger_id: str | None,
) -> str | None:
    """Ask for `remediate <action> [argument]` in this channel's incident: the preview is
    prepared after the ack; return what to tell the user now (None: a form opens instead)."""
    incident = _incident_here(core, actor)
    action = action_of(args[0])
    check_arguments(action, args[1:])
    argument = " ".join(args[1:]).strip() or None
    if incident.resolved_at is not None and not undoes(action, argument):
        raise UserError("error.incident_resolved", id=incident.id)
    check_configured(action, core.settings)
    if action.needs_approval:
        try:
            core.approvals.check_not_pending(incident_id=incident.id, action=action, actor=actor)
        except AlreadyPending as error:
            if respond is None:  # a form: its answer is the form's next view
                return core.t(
                    "approval.already_pending_link", link=core.request_link(error.pending)
                )
            core.spawn(refuse_pending, core, error, respond)
            return None
    name = core.t(f"action.{action.key}")
    if action.reason_required and not argument:
        if not trigger_id:
            raise UserError("approval.reason_required", action=name)
        core.spawn(
            core.client.views_open,
            trigger_id=trigger_id,
            view=core.render.reason_modal(
                action=action.key, name=name, channel_id=actor.channel_id
            ),
        )
        return None
    core.spawn(_request, core, action.key, argument, actor, respond)
    key = "approval.preparing" if action.needs_approval else "approval.running"
    return core.t(key, action=name)


def _request(
    core: Core, action_key: str, argument: str | None, actor: Actor, respond: Respond | None
) -> None:
    """Prepare the preview and post the request; tell the requester when it cannot be asked."""
    try:
        incident = _incident_here(core, actor)
        result = core.approvals.request(
            action=action_of(action_key), argument=argument, actor=actor, incident=incident
        )
    except Duplicate:
        return
    except AlreadyPending as error:
        refuse_pending(core, error, respond)
        return
    except UserError as error:
        text = core.t.render(error.message)
    else:
        if result.blocked is not None:
            text = core.t(
                "approval.blocked", reason=core.t.render(result.blocked, user_text=escape)
            )
        else:
            return
    if respond is not None:
        respond(text=text, response_type="ephemeral", replace_original=False)


def refuse_pending(core: Core, error: AlreadyPending, respond: Respond | None) -> None:
    """Say that the same action already waits for approval, with a link to that request."""
    text = core.t("approval.already_pending_link", link=core.request_link(error.pending))
    if respond is not None:
        respond(text=text, response_type="ephemeral", replace_original=False)


HANDLERS: dict[Name, Handler] = {
    Name.HELP: _help,
    Name.INCIDENT_START: _incident_start,
    Name.INCIDENT_LIST: _incident_list,
    Name.STATUS: _status,
    Name.NOTE: _note,
    Name.SEVERITY: _severity,
    Name.DIAGNOSE: _diagnose,
    Name.REMEDIATE: _remediate,
    Name.RESOLVE: _resolve,
    Name.REOPEN: _reopen,
    Name.REPORT: _report,
    Name.REPORT_EDIT: _report_edit,
    Name.STARTED: _started,
    Name.CONTACTS: _contacts,
}
