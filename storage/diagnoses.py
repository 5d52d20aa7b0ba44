"""Diagnosis runs, their check results, and table snapshots."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from storage.models import CheckResult, DiagnosisRun, Incident, TableSnapshot


def create_run(session: Session, **fields: Any) -> DiagnosisRun:
    """Insert a run and give it its id."""
    run = DiagnosisRun(**fields)
    session.add(run)
    session.flush()
    return run


def get_run(session: Session, *, run_id: int) -> DiagnosisRun | None:
    return session.get(DiagnosisRun, run_id)


def add_result(session: Session, **fields: Any) -> None:
    """Record one check's result."""
    session.add(CheckResult(**fields))
    session.flush()


# Built once, as the two below: every card (each `/ailex status`, each redraw) reads them.
_RESULTS = (
    select(CheckResult).where(CheckResult.run_id == bindparam("run_id")).order_by(CheckResult.id)
)


def results(session: Session, *, run_id: int) -> Sequence[CheckResult]:
    """A run's results in the order they finished."""
    return session.scalars(_RESULTS, {"run_id": run_id}).all()


def finish_run(
    session: Session,
    *,
    run_id: int,
    at: datetime,
    duration_ms: int,
    suggestions: list[dict[str, Any]],
) -> None:
    """Close a run with its duration and suggestions."""
    session.execute(
        update(DiagnosisRun)
        .where(DiagnosisRun.id == run_id)
        .values(finished_at=at, duration_ms=duration_ms, suggestions=suggestions)
    )


def set_message(session: Session, *, run_id: int, channel_id: str, ts: str) -> None:
    """Remember where the run's message is, to update it in place."""
    session.execute(
        update(DiagnosisRun)
        .where(DiagnosisRun.id == run_id)
        .values(channel_id=channel_id, message_ts=ts)
    )


# A snapshot whose check saw rows drop carries this mark in its source ("diagnosis+drop"): it
# is kept, but never becomes the baseline later checks compare against.
DROP_MARK = "+drop"
SCHEDULE = "schedule"


def latest_snapshot(session: Session) -> TableSnapshot | None:
    """The newest row-count snapshot."""
    return session.scalars(
        select(TableSnapshot).order_by(TableSnapshot.taken_at.desc(), TableSnapshot.id.desc())
    ).first()


def baseline_snapshot(session: Session, *, before: datetime | None = None) -> TableSnapshot | None:
    """The snapshot a data-loss check compares against: never one that saw a drop.

    With `before` (an incident's start): the newest scheduled snapshot older than it, else the
    newest of any source older than it, else the newest of all (the incident's own, taken
    before a drop was seen)."""
    newest = (TableSnapshot.taken_at.desc(), TableSnapshot.id.desc())
    clean = select(TableSnapshot).where(~TableSnapshot.source.endswith(DROP_MARK))
    if before is not None:
        earlier = clean.where(TableSnapshot.taken_at < before)
        for query in (earlier.where(TableSnapshot.source == SCHEDULE), earlier):
            found = session.scalars(query.order_by(*newest)).first()
            if found is not None:
                return found
    return session.scalars(clean.order_by(*newest)).first()


def add_snapshot(
    session: Session, *, at: datetime, source: str, counts: dict[str, int], dropped: bool = False
) -> None:
    """Keep a snapshot; `dropped` when its check saw rows drop (it is then no baseline)."""
    session.add(
        TableSnapshot(taken_at=at, source=source + (DROP_MARK if dropped else ""), counts=counts)
    )


_LAST_FINISHED_RUN = (
    select(DiagnosisRun)
    .where(
        DiagnosisRun.incident_id == bindparam("incident_id"), DiagnosisRun.finished_at.is_not(None)
    )
    .order_by(DiagnosisRun.started_at.desc(), DiagnosisRun.id.desc())
    .limit(1)
)


def last_finished_run(session: Session, *, incident_id: int) -> DiagnosisRun | None:
    """The incident's newest diagnosis that has finished."""
    return session.scalars(_LAST_FINISHED_RUN, {"incident_id": incident_id}).first()


def started_since(session: Session, *, incident_id: int, scenario: str, since: datetime) -> bool:
    """Whether a run of this scenario started in the incident at or after `since`."""
    found = session.scalars(
        select(DiagnosisRun.id)
        .where(
            DiagnosisRun.incident_id == incident_id,
            DiagnosisRun.scenario == scenario,
            DiagnosisRun.started_at >= since,
        )
        .limit(1)
    ).first()
    return found is not None


def adopt_channel(session: Session, *, run_id: int) -> str | None:
    """Give a run begun before its incident had a channel that channel; return it."""
    run = session.get(DiagnosisRun, run_id)
    if run is None or run.incident_id is None:
        return None
    incident = session.get(Incident, run.incident_id)
    if incident is not None and incident.channel_id and not run.channel_id:
        run.channel_id = incident.channel_id
    return run.channel_id
