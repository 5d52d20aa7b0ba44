"""drills (SPEC 10): incidents declared in `ailex drill` are marked as drills

Revision ID: 0008_drill
Revises: 0007_clock
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_drill"
down_revision = "0007_clock"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN, never a batch copy of incidents (see 0007_chain).
    op.add_column(
        "incidents",
        sa.Column("is_drill", sa.Boolean, nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE incidents DROP COLUMN is_drill")
    else:
        op.drop_column("incidents", "is_drill")
