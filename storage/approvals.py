"""Approval requests; every state change is one conditional UPDATE (at most one wins)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from storage.models import ApprovalRequest


class State(StrEnum):
    """pending -> executing | denied | expired | cancelled (the incident was resolved);
    executing -> succeeded | failed | interrupted."""

    PENDING = "pending"
    EXECUTING = "executing"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    DENIED = "denied"
    EXPIRED = "expired"
    INTERRUPTED = "interrupted"
    CANCELLED = "cancelled"


def create(session: Session, **fields: Any) -> ApprovalRequest:
    request = ApprovalRequest(**fields)
    session.add(request)
    session.flush()
    return request


def get(session: Session, *, request_id: int) -> ApprovalRequest | None:
    return session.get(ApprovalRequest, request_id, populate_existing=True)


def transition(
    session: Session,
    *,
    request_id: int,
    from_state: State,
    to_state: State,
    not_expired_at: datetime | None = None,
    held_by: str | None = None,
    **values: Any,
) -> bool:
    """Move the request from one state to another; False when it was not in `from_state`
    (someone else moved it first), with `not_expired_at` when it has expired, with `held_by`
    when another process executes it."""
    query = update(ApprovalRequest).where(
        ApprovalRequest.id == request_id, ApprovalRequest.state == from_state
    )
    if not_expired_at is not None:
        query = query.where(ApprovalRequest.expires_at > not_expired_at)
    if held_by is not None:
        query = query.where(ApprovalRequest.executor == held_by)
    moved = session.execute(
        query.values(state=to_state, **values).returning(ApprovalRequest.id)
    ).first()
    return moved is not None


def place(session: Session, *, request_id: int, channel_id: str, message_ts: str) -> None:
    """Where the request's message stands in Slack (its state moves by `transition` only)."""
    session.execute(
        update(ApprovalRequest)
        .where(ApprovalRequest.id == request_id)
        .values(channel_id=channel_id, message_ts=message_ts)
    )


def pending_expired(session: Session, *, now: datetime) -> Sequence[ApprovalRequest]:
    """Pending requests past their expiry."""
    return session.scalars(
        select(ApprovalRequest).where(
            ApprovalRequest.state == State.PENDING, ApprovalRequest.expires_at <= now
        )
    ).all()


def executing(session: Session) -> Sequence[ApprovalRequest]:
    return session.scalars(
        select(ApprovalRequest).where(ApprovalRequest.state == State.EXECUTING)
    ).all()


# Built once: every card (each `/ailex status`, each redraw) reads it.
_FOR_INCIDENT = (
    select(ApprovalRequest)
    .where(ApprovalRequest.incident_id == bindparam("incident_id"))
    .order_by(ApprovalRequest.id)
)


def for_incident(session: Session, *, incident_id: int) -> Sequence[ApprovalRequest]:
    return session.scalars(_FOR_INCIDENT, {"incident_id": incident_id}).all()


def pending_for(
    session: Session, *, incident_id: int, action: str | None = None
) -> Sequence[ApprovalRequest]:
    """The incident's requests still waiting for a decision (of one action, when given)."""
    query = select(ApprovalRequest).where(
        ApprovalRequest.incident_id == incident_id, ApprovalRequest.state == State.PENDING
    )
    if action is not None:
        query = query.where(ApprovalRequest.action == action)
    return session.scalars(query.order_by(ApprovalRequest.id)).all()
