"""Follow-up actions (재발 방지 대책) of incidents."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from storage.models import FollowUp


def add(
    session: Session,
    *,
    incident_id: int,
    text: str,
    owner_id: str,
    due_date: str | None,
    source: str,
    created_by: str,
    at: datetime,
) -> FollowUp:
    """Add one, numbered after the incident's last (the caller holds the incident's row
    lock, so two replicas do not pick one number; the unique index is the backstop)."""
    last = session.scalar(
        select(func.max(FollowUp.number)).where(FollowUp.incident_id == incident_id)
    )
    row = FollowUp(
        incident_id=incident_id,
        number=(last or 0) + 1,
        text=text,
        owner_id=owner_id,
        due_date=due_date,
        source=source,
        created_by=created_by,
        created_at=at,
    )
    session.add(row)
    session.flush()
    return row


def of_incident(session: Session, *, incident_id: int) -> Sequence[FollowUp]:
    return session.scalars(
        select(FollowUp).where(FollowUp.incident_id == incident_id).order_by(FollowUp.number)
    ).all()


def by_number(session: Session, *, incident_id: int, number: int) -> FollowUp | None:
    return session.scalars(
        select(FollowUp).where(FollowUp.incident_id == incident_id, FollowUp.number == number)
    ).first()


def close(session: Session, *, followup_id: int, by: str, at: datetime) -> bool:
    """Mark it done: True for the one caller that closed it."""
    result = session.execute(
        update(FollowUp)
        .where(FollowUp.id == followup_id, FollowUp.done_at.is_(None))
        .values(done_at=at, done_by=by)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def open_for(session: Session, *, owner_id: str) -> Sequence[FollowUp]:
    return session.scalars(
        select(FollowUp)
        .where(FollowUp.owner_id == owner_id, FollowUp.done_at.is_(None))
        .order_by(FollowUp.due_date, FollowUp.id)
    ).all()


def unnotified_due(session: Session, *, due_before: str) -> Sequence[FollowUp]:
    """Open follow-ups whose due date is before `due_before` (YYYY-MM-DD) and whose owner was
    not told yet."""
    return session.scalars(
        select(FollowUp).where(
            FollowUp.done_at.is_(None),
            FollowUp.notified_at.is_(None),
            FollowUp.due_date.is_not(None),
            FollowUp.due_date < due_before,
        )
    ).all()


def claim_notice(session: Session, *, followup_id: int, at: datetime) -> bool:
    """Take the owner's one direct message: True for exactly one caller."""
    result = session.execute(
        update(FollowUp)
        .where(FollowUp.id == followup_id, FollowUp.notified_at.is_(None))
        .values(notified_at=at)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
