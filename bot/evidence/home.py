"""The App Home tab (SPEC 9) and its declare form, in Block Kit.

The home tab shows the viewer what needs them: the open incidents (severity, title, age,
phase, commander or that it awaits acknowledgement, channel), their own open follow-ups and
the last 30 days' figures, and a button that opens the declare form (title, severity). It
lives beside the figures it shows; the incidents are drawn from what the card draws them
from (bot/incidents/vocabulary.py `current_phase`).

Slack takes a home view of at most 100 blocks and 250 kB: each list is capped and ends with
"and N more", and `fit` shortens a view that still would not fit.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.evidence.blocks import figure_lines
from bot.evidence.stats import Figures
from bot.incidents.vocabulary import Severity, current_phase
from bot.messages import Catalogue
from bot.slack.blocks import Blocks, actions, button, context, header, plain, section
from bot.slack.ids import ActionId, BlockId, CallbackId
from bot.text import clip, escape, fmt_datetime, fmt_duration
from storage.models import Incident

MAX_BLOCKS = 100
MAX_BYTES = 250_000
# Lines of each list before "and N more" (each incident is one block).
MAX_INCIDENTS = 25
MAX_FOLLOWUPS = 20
_SEVERITY_EMOJI = {"P1": "🔴", "P2": "🟠", "P3": "🟡"}


@dataclass(frozen=True)
class FollowupItem:
    """One open follow-up of the viewer, as the home tab lists it (issue 12 fills these)."""

    incident_id: int
    text: str
    due: date | None = None


def home_view(
    *,
    incidents: Sequence[Incident],
    kinds_of: Callable[[int], list[str]],
    followups: Sequence[FollowupItem],
    figures: Figures,
    t: Catalogue,
    zone: ZoneInfo,
    now: datetime,
    max_incidents: int = MAX_INCIDENTS,
    max_followups: int = MAX_FOLLOWUPS,
) -> dict[str, Any]:
    """The home tab of one viewer. `kinds_of(id)` gives an incident's event kinds (its phase)
    and is asked only for the incidents shown."""
    blocks: Blocks = [
        header(t("home.title")),
        actions(button(t("home.declare_button"), ActionId.HOME_DECLARE, "home", style="danger")),
        {"type": "divider"},
        section(t("home.open_title", count=len(incidents))),
    ]
    if not incidents:
        blocks.append(context(t("home.open_none")))
    for incident in incidents[:max_incidents]:
        blocks.append(_incident(incident, kinds_of(incident.id), t, now))
    if len(incidents) > max_incidents:
        blocks.append(context(t("home.more", count=len(incidents) - max_incidents)))

    blocks += [{"type": "divider"}, section(t("home.followups_title", count=len(followups)))]
    if not followups:
        blocks.append(context(t("home.followups_none")))
    shown = [_followup(item, t) for item in followups[:max_followups]]
    if shown:
        blocks.append(section("\n".join(shown)))
    if len(followups) > max_followups:
        blocks.append(context(t("home.more", count=len(followups) - max_followups)))

    blocks += [
        {"type": "divider"},
        section(t("home.figures_title", days=figures.days)),
        section("\n".join(figure_lines(figures, t))),
        context(t("home.updated", at=fmt_datetime(now, zone))),
    ]
    return {"type": "home", "blocks": blocks}


def _incident(incident: Incident, kinds: list[str], t: Catalogue, now: datetime) -> dict[str, Any]:
    state = current_phase(
        started_at=incident.started_at,
        resolved_at=incident.resolved_at,
        status=incident.status,
        event_kinds=kinds,
        now=now,
    )
    commander = (
        t("home.commander", user=incident.commander_id)
        if incident.commander_id
        else t("home.awaiting_ack")
    )
    channel = f"<#{incident.channel_id}>" if incident.channel_id else t("home.no_channel")
    title = t(
        "home.incident",
        emoji=_SEVERITY_EMOJI.get(incident.severity, "⚪"),
        severity=incident.severity,
        id=incident.id,
        title=escape(clip(incident.title, 120)),
    )
    detail = t(
        "home.incident_detail",
        age=fmt_duration(now - incident.started_at, t),
        phase=t(f"phase.{state.phase}"),
        commander=commander,
        channel=channel,
    )
    return section(f"{title}\n{detail}")


def _followup(item: FollowupItem, t: Catalogue) -> str:
    due = t("home.followup_due", due=item.due.isoformat()) if item.due else ""
    return t("home.followup", incident=item.incident_id, text=escape(clip(item.text, 150)), due=due)


def view_size(view: dict[str, Any]) -> int:
    """The bytes Slack counts against its 250 kB (the view as JSON)."""
    return len(json.dumps(view, ensure_ascii=False).encode())


def fits(view: dict[str, Any]) -> bool:
    return len(view["blocks"]) <= MAX_BLOCKS and view_size(view) <= MAX_BYTES


def declare_modal(t: Catalogue) -> dict[str, Any]:
    """The form the home tab's button opens: a title and a severity (P2 chosen)."""
    options = [
        {"text": plain(f"{s.value} {t(f'severity.{s.value}')}", 75), "value": s.value}
        for s in Severity
    ]
    return {
        "type": "modal",
        "callback_id": CallbackId.HOME_DECLARE.value,
        "title": plain(t("home.modal.title"), 24),
        "submit": plain(t("home.modal.submit"), 24),
        "close": plain(t("modal.close"), 24),
        "blocks": [
            {
                "type": "input",
                "block_id": BlockId.TITLE.value,
                "label": plain(t("home.modal.title_label")),
                "element": {
                    "type": "plain_text_input",
                    "action_id": "value",
                    "max_length": 200,
                    "placeholder": plain(t("home.modal.title_placeholder"), 150),
                },
            },
            {
                "type": "input",
                "block_id": BlockId.SEVERITY.value,
                "label": plain(t("home.modal.severity_label")),
                "element": {
                    "type": "static_select",
                    "action_id": "value",
                    "options": options,
                    "initial_option": options[1],
                },
            },
        ],
    }


def notice_modal(t: Catalogue, text: str) -> dict[str, Any]:
    """A form's answer in place of the form: what was done, or why it cannot be."""
    return {
        "type": "modal",
        "title": plain(t("home.modal.title"), 24),
        "close": plain(t("modal.close"), 24),
        "blocks": [section(text)],
    }
