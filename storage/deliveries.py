"""Slack deliveries already taken, so that a retried or repeated request changes nothing."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from storage.models import Delivery
from storage.prepared import PreparedRows

_TABLE = cast(Table, Delivery.__table__)
# RETURNING says which rows went in; rowcount is not reliable for this on psycopg.
# Every command claims its delivery, a batch of them in one statement (storage/prepared.py).
_KEYS = ("key", "received_at")


def _claims(insert: Any) -> PreparedRows:
    """The claim as one dialect's INSERT ... ON CONFLICT DO NOTHING RETURNING key."""
    return PreparedRows(
        _TABLE,
        _KEYS,
        lambda rows: insert(_TABLE).values(rows).on_conflict_do_nothing().returning(_TABLE.c.key),
    )


_CLAIM = {"postgresql": _claims(pg_insert), "sqlite": _claims(sqlite_insert)}


def claim(session: Session, *, key: str, at: datetime) -> bool:
    """Record the key; False when it was already recorded (a duplicate delivery)."""
    return key in claim_many(session, [(key, at)])


def claim_many(session: Session, claims: Sequence[tuple[str, datetime]]) -> set[str]:
    """Record each (key, received at) in one statement; the keys that went in. A key already
    recorded, or given twice, goes in at most once: the caller decides who had it first."""
    if not claims:
        return set()
    statement = _CLAIM[session.get_bind().dialect.name]
    rows = statement.rows(session, [{"key": key, "received_at": at} for key, at in claims])
    return {str(row[0]) for row in rows}


def prune(session: Session, *, before: datetime) -> int:
    """Forget keys older than `before` (Slack stops retrying after minutes)."""
    result = session.execute(delete(Delivery).where(Delivery.received_at < before))
    return int(result.rowcount)  # type: ignore[attr-defined]
