"""The outbox: calls to Slack the bot owes, leased by one sender at a time.

Statements are built once (module level) with bound parameters: the sender runs them for
every message, and building a statement costs more than running it on SQLite.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, func, insert, or_, select, update
from sqlalchemy.orm import Session

from storage.models import OutboxMessage
from storage.prepared import PreparedRows


class State(StrEnum):
    """pending -> sent (Slack took it) | failed (Slack refused it for good, or it was given up)."""

    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


_TABLE = cast(Table, OutboxMessage.__table__)
_COLUMNS = _TABLE.c

# A flow's hottest write (a note's message), a batch's in one statement: run on the driver
# (storage/prepared.py).
_ENQUEUE = PreparedRows(
    _TABLE,
    (
        "queue", "target", "op", "payload", "status", "attempts", "created_at",
        "next_attempt_at",
    ),
    lambda rows: insert(_TABLE).values(rows).returning(_COLUMNS.id),
)  # fmt: skip

# A queue's head is its first pending message: found through ix_outbox_target_pending
# (target, status, queue, id), never by scanning every pending message. Whether the head is
# due and free is checked on the few rows found, so a backlog of thousands costs no more.
_HEAD_IDS = (
    select(func.min(_COLUMNS.id).label("id"))
    .where(_COLUMNS.target == bindparam("target"), _COLUMNS.status == State.PENDING)
    .group_by(_COLUMNS.queue)
    .subquery()
)
_FREE = and_(
    OutboxMessage.next_attempt_at <= bindparam("now"),
    or_(OutboxMessage.lease_until.is_(None), OutboxMessage.lease_until < bindparam("now")),
)
_DUE = (
    select(OutboxMessage)
    .join(_HEAD_IDS, OutboxMessage.id == _HEAD_IDS.c.id)
    .where(_FREE)
    .order_by(OutboxMessage.id)
    .limit(bindparam("limit"))
)
_FIRST_IN_QUEUE = (
    select(OutboxMessage)
    .where(
        OutboxMessage.target == bindparam("target"),
        OutboxMessage.status == State.PENDING,
        OutboxMessage.queue == bindparam("queue"),
    )
    .order_by(OutboxMessage.id)
    .limit(bindparam("limit"))
)

# A run of messages leased at once: one statement, the ids that were free come back.
_LEASE_MANY = (
    update(_TABLE)
    .where(
        _COLUMNS.id.in_(bindparam("ids", expanding=True)),
        _COLUMNS.status == State.PENDING,
        or_(_COLUMNS.lease_until.is_(None), _COLUMNS.lease_until < bindparam("now")),
    )
    .values(lease_until=bindparam("until"), attempts=_COLUMNS.attempts + 1)
    .returning(_COLUMNS.id)
)
# Leased but not tried (a message before it is to be retried): as if never leased.
_RELEASE = (
    update(_TABLE)
    .where(_COLUMNS.id.in_(bindparam("ids", expanding=True)), _COLUMNS.status == State.PENDING)
    .values(lease_until=None, attempts=_COLUMNS.attempts - 1)
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
    message = NewMessage(queue=queue, op=op, payload=payload, not_before=not_before)
    return enqueue_many(session, [message], at=at, target=target)[0]


@dataclass(frozen=True)
class NewMessage:
    """A message to add to the end of its queue (sent no earlier than `not_before`)."""

    queue: str
    op: str
    payload: dict[str, Any]
    not_before: datetime | None = None


def enqueue_many(
    session: Session, messages: Sequence[NewMessage], *, at: datetime, target: str = "slack"
) -> list[int]:
    """Add messages to the ends of their queues, in this order, in one statement; their ids
    (in this order: ids grow in the order rows go in)."""
    if not messages:
        return []
    rows = _ENQUEUE.rows(
        session,
        [
            {
                "queue": message.queue,
                "target": target,
                "op": message.op,
                "payload": message.payload,
                "status": State.PENDING,
                "attempts": 0,
                "created_at": at,
                "next_attempt_at": message.not_before or at,
            }
            for message in messages
        ],
    )
    return sorted(int(row[0]) for row in rows)


def due_heads(
    session: Session,
    *,
    now: datetime,
    queue: str | None = None,
    limit: int = 50,
    target: str = "slack",
) -> Sequence[OutboxMessage]:
    """The first pending message of each queue for this target, where due and not leased."""
    if queue is None:
        return session.scalars(_DUE, {"now": now, "limit": limit, "target": target}).all()
    return due_run(session, now=now, queue=queue, limit=1, target=target)


def due_run(
    session: Session, *, now: datetime, queue: str, limit: int, target: str = "slack"
) -> Sequence[OutboxMessage]:
    """Up to `limit` pending messages from the head of one queue, in order, that can be sent
    now: the run stops at the first one that is not due or is leased (it holds back the rest,
    as the head does)."""
    rows = session.scalars(
        _FIRST_IN_QUEUE, {"queue": queue, "limit": limit, "target": target}
    ).all()
    run: list[OutboxMessage] = []
    for row in rows:
        if row.next_attempt_at > now or (row.lease_until is not None and row.lease_until >= now):
            break
        run.append(row)
    return run


def lease(session: Session, *, message_id: int, now: datetime, until: datetime) -> bool:
    """Take the message for sending until `until`; False when another sender has it (the
    sender's own statement, `lease_many`, for one message)."""
    return message_id in lease_many(session, message_ids=[message_id], now=now, until=until)


def lease_many(
    session: Session, *, message_ids: Sequence[int], now: datetime, until: datetime
) -> set[int]:
    """Take these messages for sending until `until`; the ids this sender got."""
    if not message_ids:
        return set()
    taken = session.connection().execute(
        _LEASE_MANY, {"ids": list(message_ids), "now": now, "until": until}
    )
    return {int(row[0]) for row in taken}


def release(session: Session, *, message_ids: Sequence[int]) -> None:
    """Give back leased messages that were not tried; they are due again at once."""
    if message_ids:
        session.connection().execute(_RELEASE, {"ids": list(message_ids)})


def mark_sent(
    session: Session, *, message_id: int, at: datetime, result: dict[str, Any] | None
) -> None:
    """Slack took it."""
    session.connection().execute(_SENT, {"message_id": message_id, "at": at, "result": result})


def mark_sent_many(
    session: Session, *, sent: Sequence[tuple[int, dict[str, Any] | None]], at: datetime
) -> None:
    """Slack took each of these (id, what to keep of its answer): one executemany."""
    if sent:
        session.connection().execute(
            _SENT, [{"message_id": i, "at": at, "result": result} for i, result in sent]
        )


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


_WAITING_OF = select(OutboxMessage.payload).where(
    OutboxMessage.queue == bindparam("queue"),
    OutboxMessage.status == State.PENDING,
    OutboxMessage.op == bindparam("op"),
    OutboxMessage.lease_until.is_(None),
)


def waiting_payloads(session: Session, *, queue: str, op: str) -> list[dict[str, Any]]:
    """The payloads of a queue's pending, unleased messages of one op (what a coalescing
    enqueue compares with): only those rows, not the queue's whole backlog."""
    return list(session.scalars(_WAITING_OF, {"queue": queue, "op": op}))
