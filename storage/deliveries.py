"""Slack deliveries already taken, so that a retried or repeated request changes nothing."""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import Table, delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from storage.models import Delivery
from storage.prepared import Prepared

_TABLE = cast(Table, Delivery.__table__)
# RETURNING says whether the row went in; rowcount is not reliable for this on psycopg.
# Every command claims its delivery: run on the driver (storage/prepared.py).
_KEYS = ("key", "received_at")
_CLAIM = {
    "postgresql": Prepared(
        pg_insert(_TABLE).on_conflict_do_nothing().returning(_TABLE.c.key), keys=_KEYS
    ),
    "sqlite": Prepared(
        sqlite_insert(_TABLE).on_conflict_do_nothing().returning(_TABLE.c.key), keys=_KEYS
    ),
}


def claim(session: Session, *, key: str, at: datetime) -> bool:
    """Record the key; False when it was already recorded (a duplicate delivery)."""
    statement = _CLAIM[session.get_bind().dialect.name]
    return statement.first(session, {"key": key, "received_at": at}) is not None


def prune(session: Session, *, before: datetime) -> int:
    """Forget keys older than `before` (Slack stops retrying after minutes)."""
    result = session.execute(delete(Delivery).where(Delivery.received_at < before))
    return int(result.rowcount)  # type: ignore[attr-defined]
