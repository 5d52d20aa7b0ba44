"""The `/ailex` slash command: parse, call the core once, answer (ephemeral) in the ack."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, Respond

from bot.app import Core
from bot.clock.followups import followup_lines
from bot.diagnosis.flows import scenario_key
from bot.errors import UserError
from bot.incidents.flows import Actor, SameTitleOpen
from bot.incidents.vocabulary import Severity
from bot.slack.blocks import actions, button, section
from bot.slack.ids import SLASH_COMMAND, ActionId
from bot.text import escape, fmt_datetime
from handlers.parse import Command, Name, ParseError, parse

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
    return core.incident_here(actor)


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
    if cmd.status is None:
        _, text, blocks = core.card_here(actor)
        ack(text=text, blocks=blocks, response_type="ephemeral")
        return
    incident = _incident_here(core, actor)
    core.incidents.set_status(incident_id=incident.id, status=cmd.status, actor=actor)
    ephemeral(ack, core.t("status.ack", status=core.render.status_name(cmd.status)))


def _note(core: Core, cmd: Command, actor: Actor, ack: Ack, respond: Respond) -> None:
    core.incidents.note(text=cmd.text, actor=actor)
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
        failing = core.resolve_unless_failing(incident_id=incident.id, actor=actor, cause=cmd.text)
        if failing is not None:
            # The last diagnosis still fails: ask before calling it resolved.
            text, blocks = core.render.resolve_confirm(incident, failing, cause=cmd.text)
            ack(text=text, blocks=blocks, response_type="ephemeral")
            return
        ephemeral(ack, core.t("resolve.ack", id=incident.id))
        return
    trigger_id = actor.delivery_key.split(":", 1)[1] if actor.delivery_key else None
    if not trigger_id:
        raise UserError("error.resolve_needs_cause")
    ack()
    core.spawn(core.open_resolve_modal, incident.id, trigger_id, actor, respond)


def _reopen(core: Core, cmd: Command, actor: Actor, ack: Ack, respond: Respond) -> None:
    incident = _incident_here(core, actor)
    core.incidents.reopen(incident_id=incident.id, actor=actor)
    ephemeral(ack, core.t("reopen.ack", id=incident.id))


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
    core.spawn(core.open_resolve_modal, incident.id, trigger_id, actor, respond, edit=True)


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


def _ack(core: Core, cmd: Command, actor: Actor, ack: Ack, respond: Respond) -> None:
    incident = _incident_here(core, actor)
    core.alerts.acknowledge(incident_id=incident.id, actor=actor)
    ephemeral(ack, core.t("ack.ack", id=incident.id))


def _diagnose(core: Core, cmd: Command, actor: Actor, ack: Ack, respond: Respond) -> None:
    scenario = scenario_key(cmd.args[0])
    recorded = core.start_diagnosis(scenario, actor)
    key = "diagnosis.ack_incident" if recorded else "diagnosis.ack_private"
    ephemeral(ack, core.t(key, scenario=core.t(f"scenario.{scenario}")))


def _remediate(core: Core, cmd: Command, actor: Actor, ack: Ack, respond: Respond) -> None:
    trigger_id = actor.delivery_key.split(":", 1)[1] if actor.delivery_key else None
    text = core.request_remediation(list(cmd.args), actor, respond, trigger_id)
    if text:
        ephemeral(ack, text)
    else:
        ack()


def _stats(core: Core, cmd: Command, actor: Actor, ack: Ack, respond: Respond) -> None:
    days = int(cmd.args[0])
    core.post_stats(channel_id=actor.channel_id, days=days)
    ephemeral(ack, core.t("stats.ack", days=days))


def _commander(core: Core, cmd: Command, actor: Actor, ack: Ack, respond: Respond) -> None:
    incident = _incident_here(core, actor)
    user_id = core.person(cmd.args[0], usage="commander")
    core.followups.hand_over(incident_id=incident.id, user_id=user_id, actor=actor)
    ephemeral(ack, core.t("commander.ack", id=incident.id, user=user_id))


def _followup_add(core: Core, cmd: Command, actor: Actor, ack: Ack, respond: Respond) -> None:
    incident = _incident_here(core, actor)
    owner_word, due_word = cmd.args
    owner = core.person(owner_word, usage="followup") if owner_word else None
    due = core.followups.due_date(due_word) if due_word else None
    row = core.followups.add(
        incident_id=incident.id, text=cmd.text, owner_id=owner, due_date=due, actor=actor
    )
    shown = row.due_date or core.t("followup.no_due")
    ephemeral(ack, core.t("followup.ack", number=row.number, owner=row.owner_id, due=shown))


def _followup_done(core: Core, cmd: Command, actor: Actor, ack: Ack, respond: Respond) -> None:
    incident = _incident_here(core, actor)
    row = core.followups.done(incident_id=incident.id, number=int(cmd.args[0]), actor=actor)
    ephemeral(ack, core.t("followup.done_ack", number=row.number))


def _followup_list(core: Core, cmd: Command, actor: Actor, ack: Ack, respond: Respond) -> None:
    incident = _incident_here(core, actor)
    items = core.followups.of_incident(incident.id)
    if not items:
        ephemeral(ack, core.t("followup.list_empty", id=incident.id))
        return
    lines = [core.t("followup.list_title", id=incident.id)]
    lines += followup_lines(items, core.t)
    ephemeral(ack, "\n".join(lines))


def _notify(core: Core, cmd: Command, actor: Actor, ack: Ack, respond: Respond) -> None:
    words = ["customer-notice", *cmd.text.split()]
    _remediate(core, Command(Name.REMEDIATE, args=tuple(words)), actor, ack, respond)


def _report_send(core: Core, cmd: Command, actor: Actor, ack: Ack, respond: Respond) -> None:
    _remediate(core, Command(Name.REMEDIATE, args=("customer-report",)), actor, ack, respond)


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
    Name.ACK: _ack,
    Name.STATS: _stats,
    Name.COMMANDER: _commander,
    Name.FOLLOWUP_ADD: _followup_add,
    Name.FOLLOWUP_DONE: _followup_done,
    Name.FOLLOWUP_LIST: _followup_list,
    Name.NOTIFY: _notify,
    Name.REPORT_SEND: _report_send,
}
