"""Queries and writes of alerts (SPEC 6) and the intake lock."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from storage.models import Alert, Incident, IntakeLock


class Triage(StrEnum):
    """States of an alert held for a decision (AILEX_ALERT_MODE=triage)."""

    PENDING = "pending"
    DECLARED = "declared"
    DISMISSED = "dismissed"


_TABLE = cast(Table, Alert.__table__)
_INSERT = {
    "postgresql": pg_insert(_TABLE).on_conflict_do_nothing().returning(_TABLE.c.id),
    "sqlite": sqlite_insert(_TABLE).on_conflict_do_nothing().returning(_TABLE.c.id),
}


def add(session: Session, **fields: Any) -> int | None:
    """Store one delivered alert; None when this source's delivery id was stored before (a
    repeated delivery changes nothing)."""
    fields.setdefault("details", {})
    fields.setdefault("summary", "")
    for column in _TABLE.c:
        if column.name != "id":
            fields.setdefault(column.name, None)
    statement = _INSERT[session.get_bind().dialect.name]
    row = session.connection().execute(statement, fields).first()
    return int(row[0]) if row is not None else None


def get(session: Session, *, alert_id: int) -> Alert | None:
    return session.get(Alert, alert_id)


def unhandled(session: Session, *, before: datetime, limit: int = 50) -> Sequence[int]:
    """Alerts received before `before` that nobody handled: a replica died between storing
    and handling them."""
    return session.scalars(
        select(Alert.id)
        .where(Alert.handled_at.is_(None), Alert.received_at < before)
        .order_by(Alert.id)
        .limit(limit)
    ).all()


def lock_intake(session: Session) -> None:
    """Hold the intake lock until the transaction ends: alerts are grouped one at a time
    across every replica (on SQLite every write transaction is serial already)."""
    session.execute(select(IntakeLock).where(IntakeLock.name == "alerts").with_for_update())


def open_with_key(session: Session, *, source: str, key: str) -> Incident | None:
    """The open incident holding an alert of this key, if any (the newest)."""
    return session.scalars(
        select(Incident)
        .join(Alert, Alert.incident_id == Incident.id)
        .where(Alert.source == source, Alert.key == key, Incident.resolved_at.is_(None))
        .order_by(Incident.id.desc())
        .limit(1)
    ).first()


def last_with_key(session: Session, *, source: str, key: str) -> Incident | None:
    """The newest incident, open or not, holding an alert of this key."""
    return session.scalars(
        select(Incident)
        .join(Alert, Alert.incident_id == Incident.id)
        .where(Alert.source == source, Alert.key == key)
        .order_by(Incident.id.desc())
        .limit(1)
    ).first()


def recent_open(session: Session, *, since: datetime) -> Incident | None:
    """The open incident declared, or given an alert, at or after `since`: the most recent
    such (by its latest of the two)."""
    # Each open incident's latest alert, in one grouped read (not one query per incident).
    last_alert = (
        select(Alert.incident_id, func.max(Alert.received_at).label("at"))
        .where(Alert.incident_id.is_not(None))
        .group_by(Alert.incident_id)
        .subquery()
    )
    found = session.execute(
        select(Incident, last_alert.c.at)
        .outerjoin(last_alert, last_alert.c.incident_id == Incident.id)
        .where(
            Incident.resolved_at.is_(None),
            or_(Incident.started_at >= since, last_alert.c.at >= since),
        )
    ).all()
    if not found:
        return None

    def last_seen(row: Any) -> tuple[datetime, int]:
        incident, at = row
        return (max(incident.started_at, at) if at else incident.started_at, incident.id)

    incident: Incident = max(found, key=last_seen)[0]
    return incident


def pending_triage(session: Session, *, source: str, key: str) -> Alert | None:
    """The triage-mode alert of this key that still waits for a decision, if any."""
    return session.scalars(
        select(Alert)
        .where(Alert.source == source, Alert.key == key, Alert.triage == Triage.PENDING)
        .order_by(Alert.id.desc())
        .limit(1)
    ).first()


def joined(session: Session, *, parent_id: int) -> Sequence[Alert]:
    """The alerts that joined a pending triage alert, oldest first."""
    return session.scalars(
        select(Alert).where(Alert.parent_id == parent_id).order_by(Alert.id)
    ).all()


# Built once: every card (each `/ailex status`, each redraw) reads it.
_FOR_INCIDENT = (
    select(Alert).where(Alert.incident_id == bindparam("incident_id")).order_by(Alert.id)
)


def for_incident(session: Session, *, incident_id: int) -> Sequence[Alert]:
    """An incident's alerts, oldest first."""
    return session.scalars(_FOR_INCIDENT, {"incident_id": incident_id}).all()


def first_received(session: Session, *, incident_id: int) -> datetime | None:
    """When the incident's first alert arrived (MTTA counts from it)."""
    return session.scalars(
        select(Alert.received_at)
        .where(Alert.incident_id == incident_id)
        .order_by(Alert.received_at, Alert.id)
        .limit(1)
    ).first()


def list_all(session: Session, *, limit: int | None = None) -> Sequence[Alert]:
    """Every stored alert, newest first."""
    query = select(Alert).order_by(Alert.id.desc())
    if limit is not None:
        query = query.limit(limit)
    return session.scalars(query).all()


def set_message(session: Session, *, alert_id: int, channel_id: str, ts: str) -> None:
    session.execute(
        update(Alert).where(Alert.id == alert_id).values(channel_id=channel_id, message_ts=ts)
    )


def decide(session: Session, *, alert_id: int, to: str, by: str, at: datetime) -> bool:
    """Move a pending triage alert to `to` (declared, dismissed) once; False when it was
    decided already."""
    result = session.execute(
        update(Alert)
        .where(and_(Alert.id == alert_id, Alert.triage == Triage.PENDING))
        .values(triage=to, decided_by=by, decided_at=at)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
