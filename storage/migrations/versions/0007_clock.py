"""the runbook's clock (SPEC 7): reminders as stored schedules, and follow-ups

Revision ID: 0007_clock
Revises: 0007_chain
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

from storage.types import JSONType, UTCDateTime

revision = "0007_clock"
down_revision = "0007_chain"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reminders",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "incident_id",
            sa.Integer,
            sa.ForeignKey("incidents.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("due_at", UTCDateTime(), nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("data", JSONType, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("queued_at", UTCDateTime(), nullable=True),
        sa.Column("done_at", UTCDateTime(), nullable=True),
    )
    op.create_index("uq_reminders_due", "reminders", ["incident_id", "kind", "due_at"], unique=True)
    op.create_index("ix_reminders_state", "reminders", ["state", "due_at"])
    op.create_table(
        "followups",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "incident_id",
            sa.Integer,
            sa.ForeignKey("incidents.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("owner_id", sa.String(32), nullable=False),
        sa.Column("due_date", sa.String(10), nullable=True),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("created_by", sa.String(32), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("done_at", UTCDateTime(), nullable=True),
        sa.Column("done_by", sa.String(32), nullable=True),
        sa.Column("notified_at", UTCDateTime(), nullable=True),
    )
    op.create_index("uq_followups_number", "followups", ["incident_id", "number"], unique=True)
    op.create_index("ix_followups_owner", "followups", ["owner_id", "done_at"])


def downgrade() -> None:
    op.drop_table("followups")
    op.drop_table("reminders")
