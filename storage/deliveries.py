"""Slack deliveries already taken, so that a retried or repeated request changes nothing."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from storage.models import Delivery


def claim(session: Session, *, key: str, at: datetime) -> bool:
    """Record the key; False when it was already recorded (a duplicate delivery)."""
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    # RETURNING says whether the row went in; rowcount is not reliable for this on psycopg.
    taken = session.execute(
        insert(Delivery)
        .values(key=key, received_at=at)
        .on_conflict_do_nothing()
        .returning(Delivery.key)
    ).first()
    return taken is not None


def prune(session: Session, *, before: datetime) -> int:
    """Forget keys older than `before` (Slack stops retrying after minutes)."""
    result = session.execute(delete(Delivery).where(Delivery.received_at < before))
    return int(result.rowcount)  # type: ignore[attr-defined]
