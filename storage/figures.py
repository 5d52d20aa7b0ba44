"""Read-only queries behind the incident statistics (SPEC 9): which incidents a period
counts, and what each one's MTTA, MTTR and scenario are drawn from."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import Alert, DiagnosisRun, Incident, TimelineEvent

# A diagnosis of every scenario at once names none.
_NO_SCENARIO = "triage"


def counted_incidents(session: Session, *, since: datetime, until: datetime) -> Sequence[Incident]:
    """The incidents statistics count: started in [since, until], oldest first.

    The one place that chooses them: drill incidents (SPEC 10) are left out here."""
    query = (
        select(Incident)
        .where(Incident.started_at >= since, Incident.started_at <= until)
        .where(Incident.is_drill.is_(False))
        .order_by(Incident.started_at, Incident.id)
    )
    return session.scalars(query).all()


def first_alerts(session: Session, *, incident_ids: Sequence[int]) -> dict[int, Alert]:
    """Each incident's first alert (by arrival), for those that have one."""
    if not incident_ids:
        return {}
    found: dict[int, Alert] = {}
    rows = session.scalars(
        select(Alert)
        .where(Alert.incident_id.in_(incident_ids))
        .order_by(Alert.received_at, Alert.id)
    )
    for alert in rows:
        if alert.incident_id is not None:
            found.setdefault(alert.incident_id, alert)
    return found


def first_diagnosis_scenarios(session: Session, *, incident_ids: Sequence[int]) -> dict[int, str]:
    """Each incident's first diagnosed scenario (a triage of all of them names none)."""
    if not incident_ids:
        return {}
    found: dict[int, str] = {}
    rows = session.execute(
        select(DiagnosisRun.incident_id, DiagnosisRun.scenario)
        .where(DiagnosisRun.incident_id.in_(incident_ids), DiagnosisRun.scenario != _NO_SCENARIO)
        .order_by(DiagnosisRun.started_at, DiagnosisRun.id)
    )
    for incident_id, scenario in rows:
        if incident_id is not None:
            found.setdefault(incident_id, scenario)
    return found


def events_of_kind(
    session: Session, *, incident_ids: Sequence[int], kind: str
) -> dict[int, list[TimelineEvent]]:
    """The incidents' events of one kind, each incident's in the order they happened."""
    if not incident_ids:
        return {}
    found: dict[int, list[TimelineEvent]] = {}
    rows = session.scalars(
        select(TimelineEvent)
        .where(TimelineEvent.incident_id.in_(incident_ids), TimelineEvent.kind == kind)
        .order_by(TimelineEvent.at, TimelineEvent.id)
    )
    for event in rows:
        found.setdefault(event.incident_id, []).append(event)
    return found
