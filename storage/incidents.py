"""Queries and writes of incidents."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, or_, select
from sqlalchemy.orm import Session

from storage.models import Alert, ApprovalRequest, DiagnosisRun, Incident, TimelineEvent
from storage.prepared import Prepared


def create(session: Session, **fields: Any) -> Incident:
    """Insert an incident and give it its id."""
    incident = Incident(**fields)
    session.add(incident)
    session.flush()
    return incident


# Built once: every command reads these, and building costs more than running them.
_BY_ID = select(Incident).where(Incident.id == bindparam("incident_id"))
_BY_ID_LOCKED = _BY_ID.with_for_update()
_OPEN_IN_CHANNEL = select(Incident).where(
    Incident.channel_id == bindparam("channel_id"), Incident.resolved_at.is_(None)
)
_FOR_CHANNEL = (
    select(Incident)
    .where(Incident.channel_id == bindparam("channel_id"))
    .order_by(Incident.resolved_at.is_not(None), Incident.id.desc())
    .limit(1)
)

# The same choice as _FOR_CHANNEL, the id alone through Core: a note needs nothing else, and
# loading the whole row as an ORM object was a fifth of a note's CPU in a request worker.
_COLUMNS = cast(Table, Incident.__table__).c
_ID_FOR_CHANNEL = Prepared(
    select(_COLUMNS.id)
    .where(_COLUMNS.channel_id == bindparam("channel_id"))
    .order_by(_COLUMNS.resolved_at.is_not(None), _COLUMNS.id.desc())
    .limit(1)
)


def id_for_channel(session: Session, *, channel_id: str) -> int | None:
    """The id of the incident `for_channel` would give."""
    found = _ID_FOR_CHANNEL.scalar(session, {"channel_id": channel_id})
    return int(found) if found is not None else None


def get(session: Session, *, incident_id: int, for_update: bool = False) -> Incident | None:
    """One incident by id (row-locked on PostgreSQL when for_update)."""
    query = _BY_ID_LOCKED if for_update else _BY_ID
    return session.scalars(query, {"incident_id": incident_id}).first()


def open_in_channel(session: Session, *, channel_id: str) -> Incident | None:
    """The channel's open incident, if any."""
    return session.scalars(_OPEN_IN_CHANNEL, {"channel_id": channel_id}).first()


def for_channel(session: Session, *, channel_id: str) -> Incident | None:
    """The channel's incident: the open one, else the one resolved last."""
    return session.scalars(_FOR_CHANNEL, {"channel_id": channel_id}).first()


def list_open(session: Session) -> Sequence[Incident]:
    """Open incidents, most severe first, then oldest first."""
    return session.scalars(
        select(Incident)
        .where(Incident.resolved_at.is_(None))
        .order_by(Incident.severity, Incident.started_at)
    ).all()


def open_or_resolved_since(session: Session, *, since: datetime) -> Sequence[int]:
    """Ids of the incidents still open or resolved at or after `since` (what the clock
    watches), without loading every incident ever declared."""
    return session.scalars(
        select(Incident.id)
        .where(or_(Incident.resolved_at.is_(None), Incident.resolved_at >= since))
        .order_by(Incident.id)
    ).all()


def list_all(session: Session, *, limit: int | None = None) -> Sequence[Incident]:
    """Every incident, newest first."""
    query = select(Incident).order_by(Incident.id.desc())
    if limit is not None:
        query = query.limit(limit)
    return session.scalars(query).all()


def _count_of(model: Any, incident_id: Any, *where: Any) -> Any:
    return (
        select(func.count())
        .select_from(model)
        .where(model.incident_id == incident_id, *where)
        .scalar_subquery()
    )


def _live_counts_of(incident_id: Any) -> list[Any]:
    """How many approval requests, finished diagnoses and alerts the incident has."""
    return [
        _count_of(ApprovalRequest, incident_id),
        _count_of(DiagnosisRun, incident_id, DiagnosisRun.finished_at.is_not(None)),
        _count_of(Alert, incident_id),
    ]


# Most incidents have no approval request, no finished diagnosis or no alert most of the time:
# one statement on the driver says which the card must load, instead of three ORM queries
# that come back empty (a third of a `/ailex status`).
_LIVE_COUNTS = Prepared(select(*_live_counts_of(bindparam("incident_id"))))

# Event kinds are the vocabulary's names (letters and underscores): a comma never occurs in
# one.
_KIND_SEPARATOR = ","
_KINDS_OF_ROW = (
    select(TimelineEvent.kind)
    .where(TimelineEvent.incident_id == Incident.id)
    .correlate(Incident)
    .distinct()
    .subquery()
)
# The incident with what its card is drawn from besides itself (the kinds of event it has
# had, and the counts above), in one statement: a `/ailex status` reads the store once, and a
# read under many request threads costs far more than alone (bench/ack_latency.py).
_WITH_CARD = select(
    Incident,
    select(func.aggregate_strings(_KINDS_OF_ROW.c.kind, _KIND_SEPARATOR)).scalar_subquery(),
    *_live_counts_of(Incident.id),
)
_CARD_FOR_CHANNEL = (
    _WITH_CARD.where(Incident.channel_id == bindparam("channel_id"))
    .order_by(Incident.resolved_at.is_not(None), Incident.id.desc())
    .limit(1)
)
_CARD_BY_ID = _WITH_CARD.where(Incident.id == bindparam("incident_id"))

CardRow = tuple[Incident, list[str], tuple[int, int, int]]


def with_card(
    session: Session, *, channel_id: str | None = None, incident_id: int | None = None
) -> CardRow | None:
    """The incident of a channel (as `for_channel` chooses) or of an id, with the kinds of
    event it has had, each once, and its `live_counts`; None when there is none."""
    if channel_id is not None:
        row = session.execute(_CARD_FOR_CHANNEL, {"channel_id": channel_id}).first()
    else:
        row = session.execute(_CARD_BY_ID, {"incident_id": incident_id}).first()
    if row is None:
        return None
    incident, kinds, requests, runs, alerts = row
    seen = sorted(set(kinds.split(_KIND_SEPARATOR))) if kinds else []
    return incident, seen, (int(requests), int(runs), int(alerts))


def live_counts(session: Session, *, incident_id: int) -> tuple[int, int, int]:
    """How many approval requests, finished diagnoses and alerts the incident has."""
    row = _LIVE_COUNTS.first(session, {"incident_id": incident_id})
    assert row is not None
    return int(row[0]), int(row[1]), int(row[2])
