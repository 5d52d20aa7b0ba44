"""at most one pending approval request per incident and action

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Requests asked for twice before this rule: the oldest one stays pending, the later ones
    # are cancelled (they were never approved, so nothing ran).
    op.execute(
        "UPDATE approval_requests SET state = 'cancelled' WHERE state = 'pending' AND id NOT IN"
        " (SELECT MIN(id) FROM approval_requests WHERE state = 'pending'"
        " GROUP BY incident_id, action)"
    )
    op.create_index(
        "uq_approval_requests_pending_action",
        "approval_requests",
        ["incident_id", "action"],
        unique=True,
        sqlite_where=sa.text("state = 'pending'"),
        postgresql_where=sa.text("state = 'pending'"),
    )


def downgrade() -> None:
    op.drop_index("uq_approval_requests_pending_action", "approval_requests")
