"""The incident's vocabulary: severities, statuses, event kinds and the runbook's phases."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class Severity(StrEnum):
    """The runbook's 심각도: P1 전체 다운, P2 일부 기능 장애, P3 성능 저하."""

    P1 = "P1"
    P2 = "P2"
    P3 = "P3"


class Status(StrEnum):
    INVESTIGATING = "investigating"
    IDENTIFIED = "identified"
    MONITORING = "monitoring"
    RESOLVED = "resolved"


class EventKind(StrEnum):
    DECLARED = "declared"
    CHANNEL_CREATED = "channel_created"
    CHANNEL_FAILED = "channel_failed"
    NOTE = "note"
    SEVERITY_CHANGED = "severity_changed"
    STATUS_CHANGED = "status_changed"
    DIAGNOSIS = "diagnosis"
    DIAGNOSIS_RESULT = "diagnosis_result"
    REMEDIATION_REQUESTED = "remediation_requested"
    REMEDIATION_APPROVED = "remediation_approved"
    REMEDIATION_DENIED = "remediation_denied"
    REMEDIATION_REFUSED = "remediation_refused"
    REMEDIATION_EXPIRED = "remediation_expired"
    REMEDIATION_CANCELLED = "remediation_cancelled"
    REMEDIATION_EXECUTED = "remediation_executed"
    REMEDIATION_FAILED = "remediation_failed"
    REMEDIATION_INTERRUPTED = "remediation_interrupted"
    BACKUP = "backup"
    RESOLVED = "resolved"
    REOPENED = "reopened"
    REPORT_POSTED = "report_posted"
    IMPACT_STARTED = "impact_started"
    REPORT_EDITED = "report_edited"
    # An alert arrived (SPEC 6), its key recovered, and a person acknowledged (장애 인지).
    ALERT = "alert"
    ALERT_RECOVERED = "alert_recovered"
    ACKNOWLEDGED = "acknowledged"
    # The runbook's clock (SPEC 7, bot/clock/): a reminder posted or withheld, a snooze of
    # the update reminder, a hand-over, follow-ups added and closed.
    REMINDER = "reminder"
    REMINDER_WITHHELD = "reminder_withheld"
    REMINDER_SNOOZED = "reminder_snoozed"
    COMMANDER_CHANGED = "commander_changed"
    FOLLOWUP_ADDED = "followup_added"
    FOLLOWUP_DONE = "followup_done"
    # Customers heard from us (SPEC 8): a notice published, the customer report e-mailed.
    CUSTOMER_NOTIFIED = "customer_notified"
    CUSTOMER_REPORT_SENT = "customer_report_sent"


class Phase(StrEnum):
    """The runbook's 장애 대응 공통 절차."""

    DETECTION = "detection"  # 장애 인지 (0~5분)
    RESPONSE = "response"  # 초기 대응 (5~15분)
    RECOVERY = "recovery"  # 복구 확인 (15~30분)
    POSTMORTEM = "postmortem"  # 사후 분석 (24시간 이내)


# How long after the start each phase should be done (사후 분석: after recovery).
PHASE_DEADLINES = {
    Phase.DETECTION: timedelta(minutes=5),
    Phase.RESPONSE: timedelta(minutes=15),
    Phase.RECOVERY: timedelta(minutes=30),
    Phase.POSTMORTEM: timedelta(hours=24),
}

# Events that show the team has moved on to a phase, whatever the clock says.
_RESPONSE_EVENTS = {EventKind.DIAGNOSIS, EventKind.REMEDIATION_REQUESTED}
_RECOVERY_EVENTS = {EventKind.REMEDIATION_EXECUTED}


@dataclass(frozen=True)
class PhaseState:
    phase: Phase
    deadline: datetime
    overdue: bool


def current_phase(
    *,
    started_at: datetime,
    resolved_at: datetime | None,
    status: str,
    event_kinds: Iterable[str],
    now: datetime,
) -> PhaseState:
    """Where the incident stands in the runbook's procedure, and by when that phase is due."""
    if resolved_at is not None:
        deadline = resolved_at + PHASE_DEADLINES[Phase.POSTMORTEM]
        return PhaseState(Phase.POSTMORTEM, deadline, now > deadline)
    kinds = set(event_kinds)
    by_events = Phase.DETECTION
    if kinds & _RESPONSE_EVENTS or status == Status.IDENTIFIED:
        by_events = Phase.RESPONSE
    if kinds & _RECOVERY_EVENTS or status == Status.MONITORING:
        by_events = Phase.RECOVERY
    by_clock = Phase.RECOVERY
    for phase in (Phase.DETECTION, Phase.RESPONSE):
        if now < started_at + PHASE_DEADLINES[phase]:
            by_clock = phase
            break
    order = list(Phase)
    phase = max(by_events, by_clock, key=order.index)
    deadline = started_at + PHASE_DEADLINES[phase]
    return PhaseState(phase, deadline, now > deadline)


def phase_boundaries(started_at: datetime) -> list[datetime]:
    """The moments an open incident's card must be redrawn because its phase changes."""
    return [
        started_at + PHASE_DEADLINES[p] for p in (Phase.DETECTION, Phase.RESPONSE, Phase.RECOVERY)
    ]
