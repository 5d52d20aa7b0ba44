"""What customers have been told, read back from the incident's approval requests: the status
page incident (kept with the incident through the notices that published to it) and when the
customer report was sent, to how many."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.incidents.vocabulary import EventKind
from storage import Session
from storage import approvals as queries
from storage.approvals import State
from storage.models import ApprovalRequest, TimelineEvent

NOTICE = "customer-notice"
REPORT = "customer-report"


def page_incident_id(session: Session, *, incident_id: int) -> str | None:
    """The status page incident this incident's notices publish to: the one the first notice
    created (recorded as soon as the page answered, so even an interrupted execution keeps it)."""
    return page_incident_of(queries.for_incident(session, incident_id=incident_id))


def page_incident_of(requests: Sequence[ApprovalRequest]) -> str | None:
    for request in requests:
        if request.action != NOTICE or not request.outcome:
            continue
        page = (request.outcome.get("data") or {}).get("page") or {}
        if page.get("ok") and page.get("incident_id"):
            return str(page["incident_id"])
    return None


@dataclass(frozen=True)
class ReportSent:
    at: datetime
    count: int


def report_sent(requests: Sequence[ApprovalRequest]) -> ReportSent | None:
    """The last time the customer report reached at least one contact (None: never)."""
    sent = None
    for request in requests:
        if request.action != REPORT or not request.outcome or request.finished_at is None:
            continue
        if request.state not in (State.SUCCEEDED, State.FAILED, State.INTERRUPTED):
            continue
        deliveries = (request.outcome.get("data") or {}).get("deliveries") or []
        count = sum(1 for d in deliveries if d.get("sent"))
        if count:
            sent = ReportSent(at=request.finished_at, count=count)
    return sent


def report_sent_in(events: Sequence[TimelineEvent]) -> ReportSent | None:
    """The last time the customer report reached at least one contact, from the timeline:
    a sent report, or a failed one that still reached some (its outcome counts them)."""
    sent = None
    for event in events:
        data = event.data or {}
        if data.get("action") != REPORT:
            continue
        if event.kind not in (EventKind.CUSTOMER_REPORT_SENT, EventKind.REMEDIATION_FAILED):
            continue
        email = ((data.get("summary") or {}).get("params") or {}).get("email") or {}
        count = (email.get("params") or {}).get("sent")
        if isinstance(count, int) and count > 0:
            sent = ReportSent(at=event.at, count=count)
    return sent
