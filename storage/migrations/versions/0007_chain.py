"""the tamper-evident timeline (SPEC 9): events' seq and hash, incidents' chain head; the
events already stored are chained in the order reports showed them, (at, id) per incident

Revision ID: 0007_chain
Revises: 0006
Create Date: 2026-12-08
"""

import sqlalchemy as sa
from alembic import op

from storage.chain import GENESIS, CanonicalizationError, canonical, link
from storage.errors import UnreadableTimeline
from storage.types import JSONType, UTCDateTime

revision = "0007_chain"
down_revision = "0006"
branch_labels = None
depends_on = None

# The tables as this revision knows them (not the live models, which may move on).
_events = sa.table(
    "timeline_events",
    sa.column("id", sa.Integer),
    sa.column("incident_id", sa.Integer),
    sa.column("at", UTCDateTime()),
    sa.column("actor", sa.String),
    sa.column("kind", sa.String),
    sa.column("text", sa.Text),
    sa.column("data", JSONType),
    sa.column("seq", sa.Integer),
    sa.column("hash", sa.String),
)
_incidents = sa.table(
    "incidents",
    sa.column("id", sa.Integer),
    sa.column("chain_seq", sa.Integer),
    sa.column("chain_head", sa.String),
)


def upgrade() -> None:
    # Plain ADD COLUMN, never a batch copy of incidents: on SQLite a copy drops the table, and
    # its ON DELETE CASCADE children (events, approval requests) with it.
    op.add_column(
        "incidents",
        sa.Column("chain_seq", sa.Integer, nullable=False, server_default=sa.text("0")),
    )
    op.add_column(
        "incidents",
        sa.Column(
            "chain_head", sa.String(64), nullable=False, server_default=sa.text(f"'{GENESIS}'")
        ),
    )
    with op.batch_alter_table("timeline_events") as batch:
        batch.add_column(sa.Column("seq", sa.Integer, nullable=True))
        batch.add_column(sa.Column("hash", sa.String(64), nullable=True))
    _chain_stored_events()
    with op.batch_alter_table("timeline_events") as batch:
        batch.alter_column("seq", existing_type=sa.Integer, nullable=False)
        batch.alter_column("hash", existing_type=sa.String(64), nullable=False)
    op.create_index(
        "uq_timeline_events_incident_seq", "timeline_events", ["incident_id", "seq"], unique=True
    )


def _chain_stored_events() -> None:
    """Chain every stored event exactly as it is. An event whose fields cannot be
    canonicalised stops the migration with an error that names it: it is never skipped, and
    nothing is changed to make it fit (that would bless whatever made it so)."""
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(_events).order_by(_events.c.incident_id, _events.c.at, _events.c.id)
    )
    heads: dict[int, tuple[int, str]] = {}
    updates = []
    for row in rows:
        seq, prev = heads.get(row.incident_id, (0, GENESIS))
        seq += 1
        try:
            if row.at is None or not isinstance(row.actor, str) or not isinstance(row.kind, str):
                raise CanonicalizationError("its time, actor or kind is missing")
            if row.text is not None and not isinstance(row.text, str):
                raise CanonicalizationError("its text is not a string")
            data = canonical(
                incident_id=row.incident_id,
                seq=seq,
                at=row.at,
                actor=row.actor,
                kind=row.kind,
                text=row.text,
                data=row.data,
            )
        except (CanonicalizationError, ValueError, TypeError) as exc:
            raise UnreadableTimeline(
                incident_id=row.incident_id, event_id=row.id, reason=str(exc)
            ) from None
        digest = link(prev, data)
        heads[row.incident_id] = (seq, digest)
        updates.append({"event_id": row.id, "seq": seq, "hash": digest})
    if updates:
        connection.execute(
            _events.update()
            .where(_events.c.id == sa.bindparam("event_id"))
            .values(seq=sa.bindparam("seq"), hash=sa.bindparam("hash")),
            updates,
        )
    if heads:
        connection.execute(
            _incidents.update()
            .where(_incidents.c.id == sa.bindparam("incident"))
            .values(chain_seq=sa.bindparam("seq"), chain_head=sa.bindparam("head")),
            [
                {"incident": incident, "seq": seq, "head": head}
                for incident, (seq, head) in heads.items()
            ],
        )


def downgrade() -> None:
    op.drop_index("uq_timeline_events_incident_seq", table_name="timeline_events")
    with op.batch_alter_table("timeline_events") as batch:
        batch.drop_column("hash")
        batch.drop_column("seq")
    # Not a batch copy of incidents (see upgrade): SQLite drops a column in place since 3.35.
    for column in ("chain_head", "chain_seq"):
        if op.get_bind().dialect.name == "sqlite":
            op.execute(f"ALTER TABLE incidents DROP COLUMN {column}")
        else:
            op.drop_column("incidents", column)
