"""The recurring schema's first tables.

Revision ID: recurring_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

import functions.shared.db

revision = "recurring_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("topic", sa.String(length=64), nullable=False),
        sa.Column("partition_key", sa.String(length=64), nullable=False),
        sa.Column("envelope", sa.JSON(), nullable=False),
        sa.Column("created_at", functions.shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("published_at", functions.shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        schema="recurring",
    )
    op.create_index(
        "ix_recurring_outbox_pending",
        "outbox",
        ["published_at", "id"],
        unique=False,
        schema="recurring",
    )
    op.create_table(
        "processed_events",
        sa.Column("consumer", sa.String(length=64), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("processed_at", functions.shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("consumer", "event_id"),
        schema="recurring",
    )
    op.create_table(
        "series",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=128), nullable=False),
        sa.Column("frequency", sa.String(length=512), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=True),
        sa.Column("series_start", functions.shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("next_due", functions.shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_occurrence", sa.Integer(), nullable=False),
        sa.Column("last_task_id", sa.String(length=64), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("ended_reason", sa.String(length=32), nullable=True),
        sa.Column("created_at", functions.shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", functions.shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        schema="recurring",
    )


def downgrade() -> None:
    op.drop_table("series", schema="recurring")
    op.drop_table("processed_events", schema="recurring")
    op.drop_index("ix_recurring_outbox_pending", table_name="outbox", schema="recurring")
    op.drop_table("outbox", schema="recurring")
