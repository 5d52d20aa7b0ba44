"""The runbook's clock as data: which reminders an incident's state calls for, and when, and
whether one still holds when it can go out (SPEC 7). Pure functions of stored state, so that
every replica computes the same due times and the store's unique index can dedupe them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from bot.incidents.vocabulary import PHASE_DEADLINES, EventKind, Phase
from storage.models import Incident, TimelineEvent

# What the customer flows record (bot/customers/, SPEC 8): a notice published, the customer
# report e-mailed.
CUSTOMER_NOTICE_SENT = EventKind.CUSTOMER_NOTIFIED.value
CUSTOMER_REPORT_SENT = EventKind.CUSTOMER_REPORT_SENT.value

# 사후 분석: a first reminder 20 hours after recovery, then overdue at the runbook's 24.
POSTMORTEM_FIRST = timedelta(hours=20)
POSTMORTEM_DUE = PHASE_DEADLINES[Phase.POSTMORTEM]


class ReminderKind(StrEnum):
    ACK = "ack"  # 장애 인지: an alert-opened incident nobody acknowledged (5 min)
    DIAGNOSE = "diagnose"  # 초기 대응: no diagnosis ran (15 min)
    NOTICE = "notice"  # 복구 확인: not resolved, post a customer notice (30 min)
    UPDATE = "update"  # no note, status change or notice for one interval
    POSTMORTEM = "postmortem"  # 사후 분석 incomplete 20 hours after recovery
    OVERDUE = "overdue"  # ... and at 24 hours


# What counts as an update (the update reminder's clock starts again at each).
_UPDATES = {
    EventKind.NOTE.value,
    EventKind.STATUS_CHANGED.value,
    EventKind.REMINDER_SNOOZED.value,
    CUSTOMER_NOTICE_SENT,
}


@dataclass(frozen=True)
class Plan:
    """One reminder the incident's state calls for: its kind, due time and what it needs to
    be judged again when it is sent."""

    kind: ReminderKind
    due_at: datetime
    data: dict[str, Any] = field(default_factory=dict)


def missing_postmortem(incident: Incident, events: Sequence[TimelineEvent]) -> list[str]:
    """What the 사후 분석 still lacks: 원인, 재발 방지 대책, the customer report."""
    missing = []
    if not (incident.cause or "").strip():
        missing.append("cause")
    if not ((incident.prevention_short or "").strip() or (incident.prevention_long or "").strip()):
        missing.append("prevention")
    if not any(event.kind == CUSTOMER_REPORT_SENT for event in events):
        missing.append("customer_report")
    return missing


def _last(events: Sequence[TimelineEvent], kind: str) -> datetime | None:
    found = [event.at for event in events if event.kind == kind]
    return max(found) if found else None


def update_since(incident: Incident, events: Sequence[TimelineEvent]) -> datetime:
    """When the update reminder's interval starts: the latest note, status change, notice,
    snooze or update reminder (else the start)."""
    times = [incident.started_at]
    for event in events:
        if event.kind in _UPDATES or (
            event.kind == EventKind.REMINDER and event.data.get("reminder") == ReminderKind.UPDATE
        ):
            times.append(event.at)
    return max(times)


def plans(
    incident: Incident, events: Sequence[TimelineEvent], intervals: Mapping[str, float]
) -> list[Plan]:
    """The reminders the incident's state calls for now, due or not yet."""
    if incident.resolved_at is not None:
        if not missing_postmortem(incident, events):
            return []
        data = {"resolved_at": incident.resolved_at.isoformat()}
        return [
            Plan(ReminderKind.POSTMORTEM, incident.resolved_at + POSTMORTEM_FIRST, data),
            Plan(ReminderKind.OVERDUE, incident.resolved_at + POSTMORTEM_DUE, data),
        ]
    out: list[Plan] = []
    start = incident.started_at
    # A reopened incident is not reminded of phase deadlines that passed before it reopened.
    reopened = _last(events, EventKind.REOPENED) or start
    phases = [
        (ReminderKind.ACK, start + PHASE_DEADLINES[Phase.DETECTION]),
        (ReminderKind.DIAGNOSE, start + PHASE_DEADLINES[Phase.RESPONSE]),
        (ReminderKind.NOTICE, start + PHASE_DEADLINES[Phase.RECOVERY]),
    ]
    for kind, due in phases:
        if due >= reopened and holds(kind, incident, events, {}):
            out.append(Plan(kind, due))
    minutes = intervals.get(incident.severity)
    if minutes:
        since = update_since(incident, events)
        out.append(
            Plan(
                ReminderKind.UPDATE,
                since + timedelta(minutes=minutes),
                {"since": since.isoformat(), "minutes": minutes},
            )
        )
    return out


def holds(
    kind: str, incident: Incident, events: Sequence[TimelineEvent], data: Mapping[str, Any]
) -> bool:
    """Whether a reminder's condition still holds (checked again when it is sent)."""
    is_open = incident.resolved_at is None
    if kind == ReminderKind.ACK:
        return is_open and bool(incident.alert_source) and incident.acknowledged_at is None
    if kind == ReminderKind.DIAGNOSE:
        return is_open and not any(e.kind == EventKind.DIAGNOSIS for e in events)
    if kind == ReminderKind.NOTICE:
        return is_open and not any(e.kind == CUSTOMER_NOTICE_SENT for e in events)
    if kind == ReminderKind.UPDATE:
        if not is_open or "since" not in data:
            return False
        since = datetime.fromisoformat(str(data["since"]))
        return not any(e.kind in _UPDATES and e.at > since for e in events)
    if kind in (ReminderKind.POSTMORTEM, ReminderKind.OVERDUE):
        if incident.resolved_at is None:
            return False
        if data.get("resolved_at") != incident.resolved_at.isoformat():
            return False
        return bool(missing_postmortem(incident, events))
    return False
