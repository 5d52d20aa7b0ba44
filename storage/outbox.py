"""The outbox: calls to Slack the bot owes, leased by one sender at a time."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session, aliased

from storage.models import OutboxMessage

PENDING, SENT, FAILED = "pending", "sent", "failed"


def enqueue(
    session: Session,
    *,
    queue: str,
    op: str,
    payload: dict[str, Any],
    at: datetime,
    not_before: datetime | None = None,
) -> int:
    """Add a message to the end of its queue; return its id."""
    message = OutboxMessage(
        queue=queue,
        op=op,
        payload=payload,
        status=PENDING,
        attempts=0,
        created_at=at,
        next_attempt_at=not_before or at,
    )
    session.add(message)
    session.flush()
    return message.id


def due_heads(
    session: Session, *, now: datetime, queue: str | None = None, limit: int = 50
) -> Sequence[OutboxMessage]:
    """The first pending message of each queue, where it is due and not leased."""
    earlier = aliased(OutboxMessage)
    has_earlier = (
        select(earlier.id)
        .where(
            earlier.queue == OutboxMessage.queue,
            earlier.status == PENDING,
            earlier.id < OutboxMessage.id,
        )
        .exists()
    )
    query = select(OutboxMessage).where(
        OutboxMessage.status == PENDING,
        ~has_earlier,
        OutboxMessage.next_attempt_at <= now,
        or_(OutboxMessage.lease_until.is_(None), OutboxMessage.lease_until < now),
    )
    if queue is not None:
        query = query.where(OutboxMessage.queue == queue)
    return session.scalars(query.order_by(OutboxMessage.id).limit(limit)).all()


def lease(session: Session, *, message_id: int, now: datetime, until: datetime) -> bool:
    """Take the message for sending until `until`; False when another sender has it."""
    result = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == message_id,
            OutboxMessage.status == PENDING,
            or_(OutboxMessage.lease_until.is_(None), OutboxMessage.lease_until < now),
        )
        .values(lease_until=until, attempts=OutboxMessage.attempts + 1)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def mark_sent(
    session: Session, *, message_id: int, at: datetime, result: dict[str, Any] | None
) -> None:
    """Slack took it."""
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .values(status=SENT, done_at=at, lease_until=None, result=result, last_error=None)
    )


def reschedule(session: Session, *, message_id: int, error: str, next_at: datetime) -> None:
    """Slack did not take it this time; try again at `next_at`."""
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .values(lease_until=None, last_error=error, next_attempt_at=next_at)
    )


def mark_failed(session: Session, *, message_id: int, error: str, at: datetime) -> None:
    """Slack refused it for good; it no longer holds back its queue."""
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .values(status=FAILED, done_at=at, lease_until=None, last_error=error)
    )


def next_due_at(session: Session) -> datetime | None:
    """When the earliest pending message falls due."""
    return session.scalar(
        select(func.min(OutboxMessage.next_attempt_at)).where(OutboxMessage.status == PENDING)
    )


def counts(session: Session) -> dict[str, int]:
    """How many messages are in each status."""
    rows = session.execute(
        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    ).all()
    return {status: int(count) for status, count in rows}


def pending_in(session: Session, *, queue: str) -> Sequence[OutboxMessage]:
    """A queue's pending messages, in order."""
    return session.scalars(
        select(OutboxMessage)
        .where(and_(OutboxMessage.queue == queue, OutboxMessage.status == PENDING))
        .order_by(OutboxMessage.id)
    ).all()
