"""The runtime schema's first tables.

Revision ID: runtime_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

import functions.shared.db

revision = "runtime_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("subscription", sa.String(length=128), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("partition_key", sa.String(length=128), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column(
            "next_attempt_at", functions.shared.db.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        schema="runtime",
    )
    op.create_index(
        "ix_deliveries_pending",
        "deliveries",
        ["subscription", "state", "id"],
        unique=False,
        schema="runtime",
    )
    op.create_table(
        "messages",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("pubsub", sa.String(length=64), nullable=False),
        sa.Column("topic", sa.String(length=128), nullable=False),
        sa.Column("partition_key", sa.String(length=128), nullable=False),
        sa.Column("envelope", sa.JSON(), nullable=False),
        sa.Column("published_at", functions.shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        schema="runtime",
    )
    op.create_index(
        "ix_messages_topic", "messages", ["topic", "id"], unique=False, schema="runtime"
    )


def downgrade() -> None:
    op.drop_index("ix_messages_topic", table_name="messages", schema="runtime")
    op.drop_table("messages", schema="runtime")
    op.drop_index("ix_deliveries_pending", table_name="deliveries", schema="runtime")
    op.drop_table("deliveries", schema="runtime")
