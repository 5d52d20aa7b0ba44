"""How a timeline event reads, in cards, reports and the console."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.diagnosis.scenarios import case_named
from bot.incidents.vocabulary import EventKind
from bot.messages import Catalogue
from bot.text import clip, fmt_datetime, fmt_short_duration, status_counts
from probes.base import Msg
from storage.models import TimelineEvent

# The report's fields, as the resolve form names them (for "what changed" in an edit).
FIELD_LABELS = {
    "cause": "report.cause",
    "impact": "report.impact",
    "actions": "report.actions",
    "prevention_short": "modal.resolve.prevention_short",
    "prevention_long": "modal.resolve.prevention_long",
    "impact_started": "report.started",
}


def _translated(t: Catalogue, prefix: str, value: Any) -> str:
    key = f"{prefix}.{value}"
    return t(key) if t.has(key) else str(value)


def diagnosis_verdict(data: dict[str, Any], t: Catalogue) -> str:
    """A diagnosis result in the runbook's words: its counts and the case it points to (the
    case's own sentence, never its key; nothing when it points to none)."""
    counts = data.get("counts") if isinstance(data.get("counts"), dict) else {}
    assert isinstance(counts, dict)
    text = status_counts(counts, t)
    reason = data.get("case_reason")
    if isinstance(reason, dict):
        return f"{text} · {t.render(Msg.model_validate(reason))}"
    # Results recorded before the case's sentence was kept name the case by its letter (or
    # carry it in their summary): the catalogue knows its sentence.
    case = data.get("case")
    if case is None and isinstance(data.get("summary"), dict):
        case = (data["summary"].get("params") or {}).get("case")
    scenario = data.get("case_scenario") or data.get("scenario")
    found = case_named(str(scenario), str(case)) if case else None
    if found is not None:
        text += f" · {t(found.sentence(str(scenario)))}"
    return text


# The people an event names besides its actor (a hand-over's commanders, a follow-up's
# owner), shown through the reader's `mention`: never a bare Slack id.
PEOPLE = {
    EventKind.COMMANDER_CHANGED: ("old", "new"),
    EventKind.FOLLOWUP_ADDED: ("owner",),
}


def people_named(event: TimelineEvent) -> list[str]:
    """The user ids an event names besides its actor."""
    data = event.data or {}
    return [str(data[f]) for f in PEOPLE.get(EventKind(event.kind), ()) if data.get(f)]


def describe(
    event: TimelineEvent,
    t: Catalogue,
    *,
    zone: ZoneInfo | None = None,
    limit: int | None = None,
    mention: Callable[[str], str] = lambda user: f"<@{user}>",
) -> str:
    """One line saying what happened (without who and when); what people typed is whole
    unless `limit` is given (then cut with an ellipsis, visibly); people it names through
    `mention`."""
    data = event.data or {}
    params: dict[str, Any] = {
        key: value for key, value in data.items() if not isinstance(value, dict | list)
    }
    for name in PEOPLE.get(EventKind(event.kind), ()):
        who = data.get(name)
        params[name] = mention(str(who)) if who else t("card.awaiting_ack")
    text = event.text or ""
    params["text"] = clip(text, limit) if limit is not None else text
    if event.kind == EventKind.STATUS_CHANGED:
        params["from"] = _translated(t, "status", data.get("from"))
        params["to"] = _translated(t, "status", data.get("to"))
    if isinstance(data.get("summary"), dict):
        params["summary"] = t.render(Msg.model_validate(data["summary"]))
    if "action" in data:
        params["action"] = _translated(t, "action", data["action"])
    if "scenario" in data:
        params["scenario"] = _translated(t, "scenario", data["scenario"])
    if "source" in data:
        params["source"] = _translated(t, "alert.source", data["source"])
    if event.kind == EventKind.ACKNOWLEDGED:
        params["mtta"] = fmt_short_duration(timedelta(seconds=int(data.get("mtta_s") or 0)), t)
    if event.kind == EventKind.DIAGNOSIS_RESULT:
        params["summary"] = diagnosis_verdict(data, t)
    if event.kind == EventKind.IMPACT_STARTED:
        if not isinstance(data.get("at"), str):
            return t("event.impact_started_cleared")
        at = datetime.fromisoformat(data["at"])
        params["at"] = fmt_datetime(at, zone) if zone is not None else at.isoformat()
    if event.kind == EventKind.REPORT_EDITED:
        fields = data.get("fields") if isinstance(data.get("fields"), list) else []
        assert isinstance(fields, list)
        params["fields"] = ", ".join(
            t(FIELD_LABELS[name]) for name in fields if name in FIELD_LABELS
        )
    return t(f"event.{event.kind}", **params)
