"""Block Kit for everything the bot shows: the incident card, help, lists, notices, modals."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.diagnosis.scenarios import SCENARIO_KEYS, TRIAGE
from bot.incidents.live import Live, site_recheck
from bot.incidents.timeline import FIELD_LABELS
from bot.incidents.vocabulary import Status, current_phase
from bot.messages import Catalogue
from bot.slack.blocks import (
    BUTTON_VALUE_LIMIT,
    Blocks,
    actions,
    button,
    chunked_sections,
    context,
    header,
    mrkdwn,
    plain,
    section,
    slack_date,
)
from bot.slack.ids import ActionId, BlockId, CallbackId
from bot.text import (
    clip,
    escape,
    fmt_datetime,
    fmt_duration,
    fmt_short_duration,
    fmt_time,
    status_counts,
)
from storage.approvals import State
from storage.models import Incident

SEVERITY_EMOJI = {"P1": "🔴", "P2": "🟠", "P3": "🟡"}
RESOLVED_EMOJI = "✅"


class Renderer:
    """Turns the core's answers into Slack messages in the team's language and time zone."""

    def __init__(self, *, t: Catalogue, zone: ZoneInfo, clock: Clock) -> None:
        self.t = t
        self.zone = zone
        self._clock = clock

    # -- the incident card --------------------------------------------------------------------
    def card(
        self, incident: Incident, event_kinds: Iterable[str], live: Live | None = None
    ) -> tuple[str, Blocks]:
        """The incident card: title, severity, status, commander, time since start, phase,
        and (with `live`) what is in effect now."""
        t, now = self.t, self._clock()
        resolved = incident.resolved_at is not None
        emoji = RESOLVED_EMOJI if resolved else SEVERITY_EMOJI.get(incident.severity, "⚪")
        title = t("card.header", emoji=emoji, severity=incident.severity, id=incident.id)
        started = fmt_datetime(incident.started_at, self.zone)
        elapsed = fmt_duration(now - incident.started_at, t)
        fields = [
            mrkdwn(f"*{t('card.title')}*\n{escape(incident.title)}"),
            mrkdwn(f"*{t('card.status')}*\n{t(f'status.{incident.status}')}"),
            mrkdwn(
                f"*{t('card.severity')}*\n{incident.severity} "
                f"({t(f'severity.{incident.severity}')})"
            ),
            mrkdwn(f"*{t('card.commander')}*\n{self._commander(incident)}"),
            mrkdwn(
                f"*{t('card.started')}*\n{started} · "
                + slack_date(incident.started_at, "{ago}", t("card.elapsed", elapsed=elapsed))
            ),
        ]
        if resolved:
            assert incident.resolved_at is not None
            fields.append(
                mrkdwn(
                    f"*{t('card.resolved')}*\n{fmt_datetime(incident.resolved_at, self.zone)} · "
                    + t(
                        "card.duration",
                        duration=fmt_duration(incident.resolved_at - incident.started_at, t),
                    )
                )
            )
        blocks: Blocks = [header(title), {"type": "section", "fields": fields}]
        state = current_phase(
            started_at=incident.started_at,
            resolved_at=incident.resolved_at,
            status=incident.status,
            event_kinds=event_kinds,
            now=now,
        )
        deadline = fmt_time(state.deadline, self.zone, since=now)
        phase_key = "card.phase_overdue" if state.overdue else "card.phase"
        blocks.append(
            context(
                t(
                    phase_key,
                    phase=t(f"phase.{state.phase}"),
                    window=t(f"phase.{state.phase}.window"),
                    deadline=f"{deadline} {now.astimezone(self.zone).tzname()}",
                )
            )
        )
        live_lines = self.live_lines(live) if live is not None else []
        if incident.acknowledged_at is not None and incident.acknowledged_by:
            live_lines.insert(0, self._acknowledged(incident, live))
        if live_lines:
            blocks.append(context("\n".join(live_lines)))
        if not resolved:
            awaiting = bool(incident.alert_source) and incident.acknowledged_at is None
            ack = (
                [button(t("button.ack"), ActionId.ACK, str(incident.id), style="primary")]
                if awaiting
                else []
            )
            blocks.append(
                actions(
                    *ack,
                    button(t("button.resolve"), ActionId.RESOLVE, str(incident.id)),
                    button(t("card.diagnose_all"), ActionId.DIAGNOSE, TRIAGE),
                    self._scenario_menu(),
                    block_id=f"card.{incident.id}",
                )
            )
        text = t(
            "card.fallback",
            severity=incident.severity,
            id=incident.id,
            title=escape(incident.title),
        )
        return text, blocks

    def _commander(self, incident: Incident) -> str:
        if incident.commander_id:
            return f"<@{incident.commander_id}>"
        return self.t("card.awaiting_ack")

    def _acknowledged(self, incident: Incident, live: Live | None) -> str:
        assert incident.acknowledged_at is not None
        first = min((a.received_at for a in live.alerts), default=None) if live else None
        mtta = incident.acknowledged_at - (first or incident.started_at)
        return self.t(
            "card.acknowledged",
            user=incident.acknowledged_by,
            at=fmt_time(incident.acknowledged_at, self.zone, since=self._clock()),
            mtta=fmt_short_duration(mtta, self.t),
        )

    def alert_names(self, alerts: Iterable[Any]) -> str:
        """Alerts as the card lists them: source, name and whether each still fires."""
        return ", ".join(
            f"{'🔴' if a.state == 'firing' else '✅'} {self.t(f'alert.source.{a.source}')} "
            f"{escape(clip(a.name, 60))} ({self.t(f'alert.state.{a.state}')})"
            for a in alerts
        )

    def _request_names(self, requests: Iterable[Any]) -> str:
        return ", ".join(
            f"#{r.id} {self.t(f'action.{r.action}')}"
            + (f" `{escape(r.argument)}`" if r.argument else "")
            for r in requests
        )

    def live_lines(self, live: Live) -> list[str]:
        """The card's live state: switches left on, requests waiting or running, the last
        diagnosis' verdict and whether the last remediation brought the site back."""
        t = self.t
        lines = [t("card.alerts", alerts=self.alert_names(live.alerts))] if live.alerts else []
        lines += [t("live.switch_on", action=t(f"action.{key}")) for key in live.switches_on]
        if live.pending:
            lines.append(
                t(
                    "live.pending",
                    count=len(live.pending),
                    requests=self._request_names(live.pending),
                )
            )
        if live.running:
            lines.append(t("live.running", requests=self._request_names(live.running)))
        done = live.last_done
        if done is not None:
            recheck = site_recheck(done)
            name = t(f"action.{done.action}")
            if recheck is not None and recheck.get("status") == "fail":
                answer = recheck.get("http_status") or t("live.no_answer")
                lines.append(
                    t("live.last_action_site_down", id=done.id, action=name, answer=answer)
                )
            elif done.state == State.FAILED:
                lines.append(t("live.last_action_failed", id=done.id, action=name))
            else:
                lines.append(t("live.last_action_done", id=done.id, action=name))
        run = live.last_run
        if run is not None:
            verdict = t(
                "live.diagnosis",
                scenario=t(f"scenario.{run.scenario}"),
                at=fmt_time(run.finished_at or run.started_at, self.zone, since=self._clock()),
                counts=status_counts(live.counts, t),
            )
            if live.failing:
                verdict += " · " + t("live.failing", checks=self._check_names(live.failing))
            lines.append(verdict)
        return lines

    def _check_names(self, check_ids: Iterable[str]) -> str:
        return ", ".join(self.t(f"check_title.{check_id}") for check_id in check_ids)

    def leftovers(self, incident: Incident, live: Live, *, cancelled: Sequence[int] = ()) -> Blocks:
        """What resolving leaves in effect, with a button to undo each switch left on (and to
        diagnose again when checks still fail); empty when nothing is left."""
        t = self.t
        lines: list[str] = []
        if cancelled:
            lines.append(t("leftovers.cancelled", requests=", ".join(f"#{n}" for n in cancelled)))
        lines += [t("leftovers.switch_on", action=t(f"action.{key}")) for key in live.switches_on]
        if live.running:
            lines.append(t("leftovers.running", requests=self._request_names(live.running)))
        if live.failing:
            lines.append(t("leftovers.failing", checks=self._check_names(live.failing)))
        if not lines:
            return []
        buttons = [
            button(
                t("leftovers.undo", action=t(f"action.{key}")),
                ActionId.REMEDIATE,
                f"{key} off",
                style="primary",
            )
            for key in live.switches_on
        ]
        if live.failing and live.last_run is not None:
            buttons.append(
                button(t("leftovers.diagnose"), ActionId.DIAGNOSE, live.last_run.scenario)
            )
        blocks: Blocks = [section(f"*{t('leftovers.title', id=incident.id)}*\n" + "\n".join(lines))]
        if buttons:
            blocks.append(actions(*buttons, block_id=f"leftovers.{incident.id}"))
        return blocks

    def resolve_confirm(
        self, incident: Incident, live: Live, *, cause: str | None
    ) -> tuple[str, Blocks]:
        """Asked before resolving while the last diagnosis still fails."""
        t = self.t
        assert live.last_run is not None
        question = t(
            "resolve.confirm",
            id=incident.id,
            scenario=t(f"scenario.{live.last_run.scenario}"),
            checks=self._check_names(live.failing),
        )
        switches = [t("leftovers.switch_on", action=t(f"action.{k}")) for k in live.switches_on]
        blocks: Blocks = [section("\n".join([question, *switches]))]
        blocks += [b for b in self.leftovers(incident, live) if b["type"] == "actions"]
        value = json.dumps({"incident_id": incident.id, "cause": cause}, ensure_ascii=False)
        if len(value) <= BUTTON_VALUE_LIMIT:
            confirm = button(t("resolve.confirm_button"), ActionId.RESOLVE_CONFIRM, value)
        else:  # too long to carry in a button: the form asks again, with the cause kept there
            confirm = button(t("resolve.confirm_form"), ActionId.RESOLVE, str(incident.id))
        confirm["style"] = "danger"
        blocks.append(actions(confirm, block_id=f"resolve_confirm.{incident.id}"))
        return question, blocks

    def _scenario_menu(self) -> dict[str, Any]:
        """A menu of the runbook's scenarios; choosing one runs its diagnosis."""
        return {
            "type": "static_select",
            "action_id": ActionId.DIAGNOSE_SELECT,
            "placeholder": plain(self.t("card.diagnose_select"), 150),
            "options": [
                {"text": plain(self.t(f"scenario.{key}"), 75), "value": key}
                for key in SCENARIO_KEYS
                if key != TRIAGE
            ],
        }

    # -- short messages -----------------------------------------------------------------------
    def notice(self, key: str, **params: Any) -> tuple[str, Blocks]:
        """A one-line channel message from the catalogue (user text escaped)."""
        safe = {k: escape(v) if isinstance(v, str) else v for k, v in params.items()}
        if "new" in params and key == "notice.status":
            safe["new"] = self.t(f"status.{params['new']}")
        if key == "notice.report_edited" and isinstance(params.get("fields"), list):
            safe["fields"] = ", ".join(
                self.t(FIELD_LABELS[name]) for name in params["fields"] if name in FIELD_LABELS
            )
        text = self.t(key, **safe)
        # A long note goes on over several sections rather than being cut.
        return text, chunked_sections(text.splitlines())

    def help(self) -> Blocks:
        t = self.t
        lines = [f"*{t('help.title')}*"]
        lines += [t(f"help.{name}") for name in HELP_ENTRIES]
        lines.append(t("help.footer"))
        return chunked_sections(lines)

    def incident_list(self, incidents: Sequence[Incident], *, title_key: str) -> Blocks:
        t = self.t
        if not incidents:
            return [section(t("list.empty"))]
        lines = [f"*{t(title_key, count=len(incidents))}*"]
        for incident in incidents:
            where = f"<#{incident.channel_id}>" if incident.channel_id else t("list.no_channel")
            emoji = (
                RESOLVED_EMOJI
                if incident.resolved_at
                else SEVERITY_EMOJI.get(incident.severity, "⚪")
            )
            lines.append(
                t(
                    "list.line",
                    emoji=emoji,
                    severity=incident.severity,
                    id=incident.id,
                    title=escape(clip(incident.title, 80)),
                    status=t(f"status.{incident.status}"),
                    channel=where,
                    started=fmt_datetime(incident.started_at, self.zone),
                )
            )
        return chunked_sections(lines)

    # -- the resolve modal --------------------------------------------------------------------
    def resolve_modal(
        self,
        incident: Incident,
        *,
        channel_id: str,
        edit: bool = False,
        impact_started: datetime | None = None,
        typed: dict[str, str | None] | None = None,
        warning: str | None = None,
    ) -> dict[str, Any]:
        """원인, 영향 범위, 조치 내용, 재발 방지 대책 (단기, 중장기), 발생일시. `edit`: the same
        form again to correct the report (also after resolve), filled with what it says. With
        `warning` (the last diagnosis still fails) it asks again, keeping what was `typed`, and
        a second submit resolves."""
        t = self.t
        kept = typed or {}

        def initial(block_id: BlockId, stored: str | None) -> str | None:
            return kept.get(block_id) if typed is not None else stored

        def field(block_id: BlockId, label: str, *, optional: bool, initial: str | None):
            element: dict[str, Any] = {
                "type": "plain_text_input",
                "action_id": "value",
                "multiline": True,
                "max_length": 3000,
            }
            if initial:
                element["initial_value"] = initial
            return {
                "type": "input",
                "block_id": block_id,
                "optional": optional,
                "label": plain(label, 2000),
                "element": element,
            }

        metadata: dict[str, Any] = {"incident_id": incident.id, "channel_id": channel_id}
        if edit:
            metadata["edit"] = True
        mode = "edit" if edit else "resolve"
        # Editing an open incident's report need not name a cause yet.
        cause_optional = edit and incident.resolved_at is None
        started = field(
            BlockId.STARTED,
            t("modal.resolve.started"),
            optional=True,
            initial=initial(
                BlockId.STARTED,
                impact_started.astimezone(self.zone).strftime("%Y-%m-%d %H:%M")
                if impact_started is not None
                else None,
            ),
        )
        started["element"]["multiline"] = False
        started["element"]["max_length"] = 40
        started["hint"] = plain(t("modal.resolve.started_hint", zone=self.zone.key), 2000)
        intro = [section(t(f"modal.{mode}.intro", id=incident.id, title=escape(incident.title)))]
        if warning is not None:
            metadata["confirmed"] = True
            intro.append(section(warning))
        submit = (
            t("modal.resolve.submit_anyway") if warning is not None else t(f"modal.{mode}.submit")
        )
        return {
            "type": "modal",
            "callback_id": CallbackId.RESOLVE,
            "private_metadata": json.dumps(metadata),
            "title": plain(t(f"modal.{mode}.title"), 24),
            "submit": plain(submit, 24),
            "close": plain(t("modal.cancel"), 24),
            "blocks": [
                *intro,
                field(
                    BlockId.CAUSE,
                    t("report.cause"),
                    optional=cause_optional,
                    initial=initial(BlockId.CAUSE, incident.cause),
                ),
                field(
                    BlockId.IMPACT,
                    t("modal.resolve.impact"),
                    optional=True,
                    initial=initial(BlockId.IMPACT, incident.impact),
                ),
                field(
                    BlockId.ACTIONS,
                    t("report.actions"),
                    optional=True,
                    initial=initial(BlockId.ACTIONS, incident.actions),
                ),
                field(
                    BlockId.PREVENTION_SHORT,
                    t("modal.resolve.prevention_short"),
                    optional=True,
                    initial=initial(BlockId.PREVENTION_SHORT, incident.prevention_short),
                ),
                field(
                    BlockId.PREVENTION_LONG,
                    t("modal.resolve.prevention_long"),
                    optional=True,
                    initial=initial(BlockId.PREVENTION_LONG, incident.prevention_long),
                ),
                started,
            ],
        }

    # -- small forms ------------------------------------------------------------------------------
    def _text_modal(
        self,
        *,
        callback_id: str,
        title: str,
        intro: str,
        label: str,
        block_id: str,
        metadata: dict[str, Any],
        multiline: bool = False,
        hint: str | None = None,
    ) -> dict[str, Any]:
        t = self.t
        element: dict[str, Any] = {
            "type": "plain_text_input",
            "action_id": "value",
            "multiline": multiline,
            "max_length": 3000,
        }
        field: dict[str, Any] = {
            "type": "input",
            "block_id": block_id,
            "label": plain(label, 2000),
            "element": element,
        }
        if hint:
            field["hint"] = plain(hint, 2000)
        return {
            "type": "modal",
            "callback_id": callback_id,
            "private_metadata": json.dumps(metadata),
            "title": plain(title, 24),
            "submit": plain(t("modal.submit"), 24),
            "close": plain(t("modal.cancel"), 24),
            "blocks": [section(intro), field],
        }

    def jwt_modal(self) -> dict[str, Any]:
        """A form to paste a JWT into; it is inspected, never echoed, stored or logged."""
        t = self.t
        return self._text_modal(
            callback_id=CallbackId.JWT,
            title=t("modal.jwt.title"),
            intro=t("modal.jwt.intro"),
            label=t("modal.jwt.label"),
            block_id=BlockId.SECRET,
            metadata={},
            multiline=True,
        )

    def secret_modal(self, *, request_id: int) -> dict[str, Any]:
        """The approver's form for rotate-openai-key: the new key, used once and forgotten."""
        t = self.t
        return self._text_modal(
            callback_id=CallbackId.ROTATE_KEY,
            title=t("modal.rotate.title"),
            intro=t("modal.rotate.intro", id=request_id),
            label=t("modal.rotate.label"),
            block_id=BlockId.SECRET,
            metadata={"request_id": request_id},
            hint=t("modal.rotate.hint"),
        )

    def reason_modal(self, *, action: str, name: str, channel_id: str) -> dict[str, Any]:
        """The required reason of an emergency deploy."""
        t = self.t
        return self._text_modal(
            callback_id=CallbackId.EMERGENCY_DEPLOY,
            title=t("modal.reason.title"),
            intro=t("modal.reason.intro", action=name),
            label=t("modal.reason.label"),
            block_id=BlockId.REASON,
            metadata={"action": action, "channel_id": channel_id},
            multiline=True,
        )

    def status_name(self, status: Status | str) -> str:
        return self.t(f"status.{status}")


# The order `/ailex help` lists the subcommands in.
HELP_ENTRIES = (
    "incident_start",
    "incident_list",
    "ack",
    "status",
    "note",
    "severity",
    "set_status",
    "diagnose",
    "remediate",
    "resolve",
    "reopen",
    "report",
    "notify",
    "report_send",
    "report_edit",
    "started",
    "contacts",
    "stats",
    "commander",
    "followup",
)
