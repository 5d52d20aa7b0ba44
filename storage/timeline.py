"""Appends to and reads of incident timelines."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, select
from sqlalchemy.orm import Session

from storage.models import TimelineEvent

_TABLE = cast(Table, TimelineEvent.__table__)
_APPEND = insert(_TABLE).returning(_TABLE.c.id)


def append(
    session: Session,
    *,
    incident_id: int,
    at: datetime,
    actor: str,
    kind: str,
    text: str | None = None,
    data: dict[str, Any] | None = None,
) -> int:
    """Add one event; return its id."""
    # Core statements go to the connection: the Session's ORM layer adds only cost here.
    result = session.connection().execute(
        _APPEND,
        {
            "incident_id": incident_id,
            "at": at,
            "actor": actor,
            "kind": kind,
            "text": text,
            "data": data or {},
        },
    )
    return int(result.scalar_one())


def for_incident(session: Session, *, incident_id: int) -> Sequence[TimelineEvent]:
    """The incident's events in the order they happened."""
    return session.scalars(
        select(TimelineEvent)
        .where(TimelineEvent.incident_id == incident_id)
        .order_by(TimelineEvent.at, TimelineEvent.id)
    ).all()


_KINDS = (
    select(TimelineEvent.kind)
    .where(TimelineEvent.incident_id == bindparam("incident_id"))
    .order_by(TimelineEvent.at, TimelineEvent.id)
)


def kinds(session: Session, *, incident_id: int) -> list[str]:
    """The kinds of the incident's events, in order (what the card's phase needs)."""
    return list(session.scalars(_KINDS, {"incident_id": incident_id}))
