"""The outbox: calls to Slack the bot owes, leased by one sender at a time.

Statements are built once (module level) with bound parameters: the sender runs them for
every message, and building a statement costs more than running it on SQLite.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, func, insert, or_, select, update
from sqlalchemy.orm import Session, aliased

from storage.models import OutboxMessage


class State(StrEnum):
    """pending -> sent (Slack took it) | failed (Slack refused it for good, or it was given up)."""

    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


_TABLE = cast(Table, OutboxMessage.__table__)
_COLUMNS = _TABLE.c

_ENQUEUE = insert(_TABLE).returning(_COLUMNS.id)

_EARLIER = aliased(OutboxMessage)
_HAS_EARLIER = (
    select(_EARLIER.id)
    .where(
        _EARLIER.queue == OutboxMessage.queue,
        _EARLIER.status == State.PENDING,
        _EARLIER.id < OutboxMessage.id,
    )
    .exists()
)
_DUE = (
    select(OutboxMessage)
    .where(
        OutboxMessage.target == bindparam("target"),
        OutboxMessage.status == State.PENDING,
        ~_HAS_EARLIER,
        OutboxMessage.next_attempt_at <= bindparam("now"),
        or_(OutboxMessage.lease_until.is_(None), OutboxMessage.lease_until < bindparam("now")),
    )
    .order_by(OutboxMessage.id)
    .limit(bindparam("limit"))
)
_DUE_IN_QUEUE = _DUE.where(OutboxMessage.queue == bindparam("queue"))

_LEASE = (
    update(_TABLE)
    .where(
        _COLUMNS.id == bindparam("message_id"),
        _COLUMNS.status == State.PENDING,
        or_(_COLUMNS.lease_until.is_(None), _COLUMNS.lease_until < bindparam("now")),
    )
    .values(lease_until=bindparam("until"), attempts=_COLUMNS.attempts + 1)
    .returning(_COLUMNS.id)
)
_SET = update(_TABLE).where(_COLUMNS.id == bindparam("message_id"))
_SENT = _SET.values(
    status=State.SENT,
    done_at=bindparam("at"),
    lease_until=None,
    result=bindparam("result"),
    last_error=None,
)
_RESCHEDULE = _SET.values(
    lease_until=None, last_error=bindparam("error"), next_attempt_at=bindparam("next_at")
)
_FAILED = _SET.values(
    status=State.FAILED, done_at=bindparam("at"), lease_until=None, last_error=bindparam("error")
)


def enqueue(
    session: Session,
    *,
    queue: str,
    op: str,
    payload: dict[str, Any],
    at: datetime,
    not_before: datetime | None = None,
    target: str = "slack",
) -> int:
    """Add a message to the end of its queue; return its id."""
    return int(
        session.connection()
        .execute(
            _ENQUEUE,
            {
                "queue": queue,
                "target": target,
                "op": op,
                "payload": payload,
                "status": State.PENDING,
                "attempts": 0,
                "created_at": at,
                "next_attempt_at": not_before or at,
            },
        )
        .scalar_one()
    )


def due_heads(
    session: Session,
    *,
    now: datetime,
    queue: str | None = None,
    limit: int = 50,
    target: str = "slack",
) -> Sequence[OutboxMessage]:
    """The first pending message of each queue for this target, where due and not leased."""
    params = {"now": now, "limit": limit, "target": target}
    if queue is None:
        return session.scalars(_DUE, params).all()
    return session.scalars(_DUE_IN_QUEUE, {**params, "queue": queue}).all()


def lease(session: Session, *, message_id: int, now: datetime, until: datetime) -> bool:
    """Take the message for sending until `until`; False when another sender has it."""
    taken = session.connection().execute(
        _LEASE, {"message_id": message_id, "now": now, "until": until}
    )
    return taken.first() is not None


def mark_sent(
    session: Session, *, message_id: int, at: datetime, result: dict[str, Any] | None
) -> None:
    """Slack took it."""
    session.connection().execute(_SENT, {"message_id": message_id, "at": at, "result": result})


def reschedule(session: Session, *, message_id: int, error: str, next_at: datetime) -> None:
    """Slack did not take it this time; try again at `next_at`."""
    session.connection().execute(
        _RESCHEDULE, {"message_id": message_id, "error": error, "next_at": next_at}
    )


def mark_failed(session: Session, *, message_id: int, error: str, at: datetime) -> None:
    """Slack refused it for good; it no longer holds back its queue."""
    session.connection().execute(_FAILED, {"message_id": message_id, "error": error, "at": at})


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
        .where(and_(OutboxMessage.queue == queue, OutboxMessage.status == State.PENDING))
        .order_by(OutboxMessage.id)
    ).all()
