"""Block Kit for everything the bot shows: the incident card, help, lists, notices, modals."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.domain import Phase, Status, current_phase
from bot.ids import ActionId, BlockId, CallbackId
from bot.messages import Catalogue
from bot.scenarios import SCENARIO_KEYS, TRIAGE
from bot.text import clip, escape, fmt_datetime, fmt_duration, fmt_time
from storage.models import Incident

Blocks = list[dict[str, Any]]

SEVERITY_EMOJI = {"P1": "🔴", "P2": "🟠", "P3": "🟡"}
RESOLVED_EMOJI = "✅"
SECTION_LIMIT = 3000
HEADER_LIMIT = 150


def plain(text: str, limit: int | None = None) -> dict[str, Any]:
    return {"type": "plain_text", "text": clip(text, limit) if limit else text, "emoji": True}


def mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": clip(text, SECTION_LIMIT)}


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": mrkdwn(text)}


def context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [mrkdwn(text)]}


def header(text: str) -> dict[str, Any]:
    return {"type": "header", "text": plain(text, HEADER_LIMIT)}


def button(text: str, action_id: str, value: str, *, style: str | None = None) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "button",
        "text": plain(text, 75),
        "action_id": action_id,
        "value": value,
    }
    if style:
        element["style"] = style
    return element


def actions(*elements: dict[str, Any], block_id: str | None = None) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "actions", "elements": list(elements)}
    if block_id:
        block["block_id"] = block_id
    return block


def slack_date(dt: datetime, token: str, fallback: str) -> str:
    """Slack's <!date> so each reader sees it live (e.g. "12 minutes ago")."""
    return f"<!date^{int(dt.timestamp())}^{token}|{fallback}>"


def chunked_sections(lines: Iterable[str]) -> Blocks:
    """Lines packed into as few sections as Slack's 3,000-character limit allows."""
    blocks: Blocks = []
    current = ""
    for line in lines:
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > SECTION_LIMIT and current:
            blocks.append(section(current))
            current = clip(line, SECTION_LIMIT)
        else:
            current = candidate
    if current:
        blocks.append(section(current))
    return blocks


class Renderer:
    """Turns the core's answers into Slack messages in the team's language and time zone."""

    def __init__(self, *, t: Catalogue, zone: ZoneInfo, clock: Clock) -> None:
        self.t = t
        self.zone = zone
        self._clock = clock

    # -- the incident card --------------------------------------------------------------------
    def card(self, incident: Incident, event_kinds: Iterable[str]) -> tuple[str, Blocks]:
        """The incident card: title, severity, status, commander, time since start, phase."""
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
            mrkdwn(f"*{t('card.commander')}*\n<@{incident.commander_id}>"),
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
        if not resolved:
            blocks.append(
                actions(
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
        text = self.t(key, **safe)
        return text, [section(text)]

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
    def resolve_modal(self, incident: Incident, *, channel_id: str) -> dict[str, Any]:
        """원인, 영향 범위, 조치 내용, 재발 방지 대책 (단기, 중장기)."""
        t = self.t

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

        return {
            "type": "modal",
            "callback_id": CallbackId.RESOLVE,
            "private_metadata": json.dumps({"incident_id": incident.id, "channel_id": channel_id}),
            "title": plain(t("modal.resolve.title"), 24),
            "submit": plain(t("modal.resolve.submit"), 24),
            "close": plain(t("modal.cancel"), 24),
            "blocks": [
                section(t("modal.resolve.intro", id=incident.id, title=escape(incident.title))),
                field(BlockId.CAUSE, t("report.cause"), optional=False, initial=incident.cause),
                field(
                    BlockId.IMPACT,
                    t("modal.resolve.impact"),
                    optional=True,
                    initial=incident.impact,
                ),
                field(
                    BlockId.ACTIONS, t("report.actions"), optional=True, initial=incident.actions
                ),
                field(
                    BlockId.PREVENTION_SHORT,
                    t("modal.resolve.prevention_short"),
                    optional=True,
                    initial=incident.prevention_short,
                ),
                field(
                    BlockId.PREVENTION_LONG,
                    t("modal.resolve.prevention_long"),
                    optional=True,
                    initial=incident.prevention_long,
                ),
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

    def phase_name(self, phase: Phase) -> str:
        return self.t(f"phase.{phase}")


# The order `/ailex help` lists the subcommands in.
HELP_ENTRIES = (
    "incident_start",
    "incident_list",
    "status",
    "note",
    "severity",
    "set_status",
    "diagnose",
    "remediate",
    "resolve",
    "report",
    "contacts",
)
