"""outbox messages name the Slack they are for (the real one or the console's stand-in)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("target", sa.String(20), nullable=False, server_default="slack"))
    op.create_index("ix_outbox_target_pending", "outbox", ["target", "status", "queue", "id"])


def downgrade() -> None:
    op.drop_index("ix_outbox_target_pending", "outbox")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("target")
