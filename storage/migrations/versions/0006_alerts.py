"""alerts (SPEC 6), the intake lock, and incidents' alert source and acknowledgement

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

from storage.types import JSONType, UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN, never a batch copy of incidents: on SQLite a copy drops the table, and
    # its children's foreign keys would take their rows with it.
    op.add_column("incidents", sa.Column("alert_source", sa.String(20), nullable=True))
    op.add_column("incidents", sa.Column("acknowledged_at", UTCDateTime(), nullable=True))
    op.add_column("incidents", sa.Column("acknowledged_by", sa.String(32), nullable=True))
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("delivery_id", sa.String(200), nullable=False),
        sa.Column("key", sa.String(300), nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("level", sa.String(20), nullable=True),
        sa.Column("url", sa.Text, nullable=True),
        sa.Column("details", JSONType, nullable=False),
        sa.Column("scenario", sa.String(20), nullable=False),
        sa.Column("severity", sa.String(2), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.Column("occurred_at", UTCDateTime(), nullable=True),
        sa.Column(
            "incident_id",
            sa.Integer,
            sa.ForeignKey("incidents.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("handled_at", UTCDateTime(), nullable=True),
        sa.Column("lease_until", UTCDateTime(), nullable=True),
        sa.Column("triage", sa.String(12), nullable=True),
        sa.Column(
            "parent_id", sa.Integer, sa.ForeignKey("alerts.id", ondelete="SET NULL"), nullable=True
        ),
        sa.Column("decided_by", sa.String(32), nullable=True),
        sa.Column("decided_at", UTCDateTime(), nullable=True),
        sa.Column("channel_id", sa.String(32), nullable=True),
        sa.Column("message_ts", sa.String(32), nullable=True),
    )
    op.create_index("uq_alerts_delivery", "alerts", ["source", "delivery_id"], unique=True)
    op.create_index("ix_alerts_key", "alerts", ["source", "key", "id"])
    op.create_index("ix_alerts_incident", "alerts", ["incident_id", "id"])
    op.create_index("ix_alerts_unhandled", "alerts", ["handled_at", "id"])
    op.create_table("intake_locks", sa.Column("name", sa.String(40), primary_key=True))
    op.execute("INSERT INTO intake_locks (name) VALUES ('alerts')")


def downgrade() -> None:
    op.drop_table("intake_locks")
    op.drop_table("alerts")
    # In place (SQLite drops a column since 3.35), for the same reason as above.
    for column in ("acknowledged_by", "acknowledged_at", "alert_source"):
        op.drop_column("incidents", column)
