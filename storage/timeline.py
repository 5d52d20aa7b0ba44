"""Appends to and reads of incident timelines."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from storage.chain import canonical, json_safe, link
from storage.models import Incident, TimelineEvent
from storage.prepared import Prepared, PreparedRows

_TABLE = cast(Table, TimelineEvent.__table__)
_INCIDENTS = cast(Table, Incident.__table__)
_FIELDS = ("incident_id", "at", "actor", "kind", "text", "data", "seq", "hash")
# Appends are the store's hottest write (SPEC 4): built once, run on the driver, a batch's
# events of one incident in one INSERT (storage/prepared.py). seq tells the rows apart.
_APPEND = PreparedRows(
    _TABLE,
    _FIELDS,
    lambda rows: insert(_TABLE).values(rows).returning(_TABLE.c.seq, _TABLE.c.id),
)
# The first UPDATE takes the incident row's lock on PostgreSQL and holds it to the commit, so
# a second writer of the same incident waits here and then reads the head the first one left:
# one chain, never a fork. It returns the last new seq and the old head (the first new
# event's prev).
_ADVANCE = Prepared(
    update(_INCIDENTS)
    .where(_INCIDENTS.c.id == bindparam("incident_id"))
    .values(chain_seq=_INCIDENTS.c.chain_seq + bindparam("count"))
    .returning(_INCIDENTS.c.chain_seq, _INCIDENTS.c.chain_head)
)
_SET_HEAD = Prepared(
    update(_INCIDENTS)
    .where(_INCIDENTS.c.id == bindparam("incident_id"))
    .values(chain_head=bindparam("head"))
)
# With the head this process last saw, one UPDATE both checks it is still the head and moves
# it (compare and set), so an append is two statements instead of three. It matches no row
# when anything else appended since (another process, a savepoint rolled back): the append
# then takes the three-statement path above, which reads the head under the row's lock. On
# PostgreSQL a concurrent writer's UPDATE waits for the row lock and re-checks its WHERE on
# the committed row: the chain never forks either way.
_CAS = Prepared(
    update(_INCIDENTS)
    .where(
        _INCIDENTS.c.id == bindparam("incident_id"),
        _INCIDENTS.c.chain_seq == bindparam("seq_before"),
        _INCIDENTS.c.chain_head == bindparam("prev"),
    )
    .values(chain_seq=bindparam("seq"), chain_head=bindparam("head"))
    .returning(_INCIDENTS.c.id)
)
_ORDER = (TimelineEvent.seq,)
# incident id -> (seq, hash) of the last head this process wrote: a hint, checked by _CAS.
_last_heads: dict[int, tuple[int, str]] = {}


@dataclass(frozen=True)
class NewEvent:
    """An event to append: what it says; its seq and hash come from the chain."""

    at: datetime
    actor: str
    kind: str
    text: str | None = None
    data: dict[str, Any] | None = None


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
    """Add one event, chained to the incident's head (SPEC 9), in the caller's transaction;
    return its id. Timeline rows are never updated or deleted after this: that would break
    the chain, which is the point."""
    event = NewEvent(at=at, actor=actor, kind=kind, text=text, data=data)
    return append_many(session, incident_id=incident_id, events=[event])[0]


def append_many(session: Session, *, incident_id: int, events: Sequence[NewEvent]) -> list[int]:
    """Add events to one incident's chain, in this order, in the caller's transaction: the
    chain moves once and the rows go in one INSERT (per ROWS_PER_STATEMENT). Their ids."""
    # What is hashed is exactly what is stored (and read back, on either store).
    rows = [
        {
            "incident_id": incident_id,
            "at": event.at,
            "actor": str(event.actor),
            "kind": str(event.kind),
            "text": event.text,
            "data": json_safe(event.data or {}),
        }
        for event in events
    ]
    if not rows:
        return []

    def chain(first_seq: int, prev: str) -> str:
        for n, row in enumerate(rows):
            row["seq"] = first_seq + n
            fields = {key: row[key] for key in ("at", "actor", "kind", "text", "data")}
            row["hash"] = prev = link(
                prev, canonical(incident_id=incident_id, seq=row["seq"], **fields)
            )
        return prev

    guess = _last_heads.get(incident_id)
    if guess is not None:
        head = chain(guess[0] + 1, guess[1])
        moved = _CAS.first(
            session,
            {
                "incident_id": incident_id,
                "seq_before": guess[0],
                "prev": guess[1],
                "seq": guess[0] + len(rows),
                "head": head,
            },
        )
        if moved is None:
            guess = None
    if guess is None:
        found = _ADVANCE.first(session, {"incident_id": incident_id, "count": len(rows)})
        if found is None:
            raise LookupError(f"no incident {incident_id} to append to")
        head = chain(int(found[0]) - len(rows) + 1, str(found[1]))
        _SET_HEAD.rows(session, {"incident_id": incident_id, "head": head})
    ids = dict(_APPEND.rows(session, rows))
    _last_heads[incident_id] = (rows[-1]["seq"], head)
    return [int(ids[row["seq"]]) for row in rows]


def for_incident(session: Session, *, incident_id: int) -> Sequence[TimelineEvent]:
    """The incident's events in chain order (seq: the order they were recorded)."""
    return session.scalars(
        select(TimelineEvent).where(TimelineEvent.incident_id == incident_id).order_by(*_ORDER)
    ).all()


_NOTE = "note"


def for_clock(session: Session, *, incident_id: int) -> Sequence[TimelineEvent]:
    """The incident's events as the runbook's clock needs them, in chain order: every event
    but notes, and of the notes only the latest. The clock asks of notes only when the last
    update was, and it asks every second: a busy incident's thousands of notes would each be
    loaded, under the write lock, for nothing."""
    others = session.scalars(
        select(TimelineEvent).where(
            TimelineEvent.incident_id == incident_id, TimelineEvent.kind != _NOTE
        )
    ).all()
    latest = session.scalars(
        select(TimelineEvent)
        .where(TimelineEvent.incident_id == incident_id, TimelineEvent.kind == _NOTE)
        .order_by(TimelineEvent.at.desc(), TimelineEvent.seq.desc())
        .limit(1)
    ).all()
    return sorted([*others, *latest], key=lambda event: event.seq)


def head(session: Session, *, incident_id: int) -> tuple[int, str] | None:
    """The incident's chain head as the incidents row keeps it: (seq, hash); None: no such
    incident."""
    row = session.execute(
        select(Incident.chain_seq, Incident.chain_head).where(Incident.id == incident_id)
    ).first()
    return (int(row[0]), str(row[1])) if row is not None else None


# Distinct: the card's phase asks only which kinds occurred, and a busy incident has
# thousands of notes that would each become a Python string on every redraw.
_KINDS = (
    select(TimelineEvent.kind)
    .where(TimelineEvent.incident_id == bindparam("incident_id"))
    .distinct()
)


def kinds(session: Session, *, incident_id: int) -> list[str]:
    """The kinds of event the incident has had, each once (what the card's phase needs)."""
    return list(session.scalars(_KINDS, {"incident_id": incident_id}))
