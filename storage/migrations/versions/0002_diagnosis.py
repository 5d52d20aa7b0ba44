"""diagnosis runs, their check results, and table row-count snapshots

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

from storage.types import JSONType, UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "diagnosis_runs",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("scenario", sa.String(20), nullable=False),
        sa.Column(
            "incident_id",
            sa.Integer(),
            sa.ForeignKey("incidents.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("requested_by", sa.String(32), nullable=False),
        sa.Column("channel_id", sa.String(32), nullable=True),
        sa.Column("message_ts", sa.String(32), nullable=True),
        sa.Column("response_url", sa.Text(), nullable=True),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.Column("check_ids", JSONType, nullable=False),
        sa.Column("suggestions", JSONType, nullable=True),
    )
    op.create_index("ix_diagnosis_runs_incident", "diagnosis_runs", ["incident_id", "started_at"])
    op.create_table(
        "check_results",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "run_id",
            sa.Integer(),
            sa.ForeignKey("diagnosis_runs.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("check_id", sa.String(40), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("summary", JSONType, nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("data", JSONType, nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=False),
    )
    op.create_index(
        "uq_check_results_run_check", "check_results", ["run_id", "check_id"], unique=True
    )
    op.create_table(
        "table_snapshots",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("taken_at", UTCDateTime(), nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("counts", JSONType, nullable=False),
    )
    op.create_index("ix_table_snapshots_taken_at", "table_snapshots", ["taken_at"])


def downgrade() -> None:
    op.drop_table("table_snapshots")
    op.drop_table("check_results")
    op.drop_table("diagnosis_runs")
