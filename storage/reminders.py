"""Reminders as stored schedules: scheduled once, claimed once, finished once.

Every state change is one conditional UPDATE whose row count says whether this caller won,
so two replicas on one PostgreSQL store never both send a due time (SQLite's writes are
serial already)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.models import Reminder

SCHEDULED = "scheduled"
QUEUED = "queued"
SENT = "sent"
WITHHELD = "withheld"
DROPPED = "dropped"


def find(session: Session, *, incident_id: int, kind: str, due_at: datetime) -> Reminder | None:
    return session.scalars(
        select(Reminder).where(
            Reminder.incident_id == incident_id, Reminder.kind == kind, Reminder.due_at == due_at
        )
    ).first()


def schedule(
    session: Session,
    *,
    incident_id: int,
    kind: str,
    due_at: datetime,
    data: dict[str, Any],
    at: datetime,
) -> int:
    """The schedule row of this due time, made if it is not there yet; its id. A replica
    that made the same row at the same moment wins the unique index; this one reads it."""
    found = find(session, incident_id=incident_id, kind=kind, due_at=due_at)
    if found is not None:
        return found.id
    try:
        with session.begin_nested():
            row = Reminder(
                incident_id=incident_id,
                kind=kind,
                due_at=due_at,
                state=SCHEDULED,
                data=data,
                created_at=at,
            )
            session.add(row)
            session.flush()
            return row.id
    except IntegrityError:
        found = find(session, incident_id=incident_id, kind=kind, due_at=due_at)
        if found is None:
            raise
        return found.id


def claim(session: Session, *, reminder_id: int, at: datetime) -> bool:
    """Take a scheduled reminder to send it: True for exactly one caller, ever."""
    result = session.execute(
        update(Reminder)
        .where(Reminder.id == reminder_id, Reminder.state == SCHEDULED)
        .values(state=QUEUED, queued_at=at)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def finish(session: Session, *, reminder_id: int, state: str, at: datetime) -> bool:
    """A queued reminder sent or withheld: True for the one caller that moved it."""
    result = session.execute(
        update(Reminder)
        .where(Reminder.id == reminder_id, Reminder.state == QUEUED)
        .values(state=state, done_at=at)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def drop_stale(session: Session, *, incident_id: int, keep: Sequence[int], at: datetime) -> None:
    """Scheduled rows of the incident that its state no longer calls for (a note moved the
    update reminder, the incident was resolved): they will never be sent."""
    query = update(Reminder).where(Reminder.incident_id == incident_id, Reminder.state == SCHEDULED)
    if keep:
        query = query.where(Reminder.id.not_in(list(keep)))
    session.execute(
        query.values(state=DROPPED, done_at=at).execution_options(synchronize_session=False)
    )


def get(session: Session, *, reminder_id: int) -> Reminder | None:
    return session.get(Reminder, reminder_id, populate_existing=True)


def for_incident(session: Session, *, incident_id: int) -> Sequence[Reminder]:
    return session.scalars(
        select(Reminder).where(Reminder.incident_id == incident_id).order_by(Reminder.id)
    ).all()
