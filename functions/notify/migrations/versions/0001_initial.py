"""The notify schema's first tables.

Revision ID: notify_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

import functions.shared.db
from functions.shared.migration_tables import (
    create_outbox,
    create_processed_events,
    drop_outbox,
    drop_processed_events,
)

revision = "notify_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notifications",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=128), nullable=False),
        sa.Column("task_id", sa.String(length=64), nullable=False),
        sa.Column("reminder_time", functions.shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("due_date", functions.shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("target", sa.String(length=2048), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", functions.shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("created_at", functions.shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", functions.shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("read_at", functions.shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("task_id", "reminder_time", "channel", name="uq_notification_once"),
        schema="notify",
    )
    op.create_index(
        "ix_notifications_due",
        "notifications",
        ["status", "next_attempt_at"],
        unique=False,
        schema="notify",
    )
    op.create_index(
        "ix_notifications_inbox",
        "notifications",
        ["user_id", "channel", "created_at", "id"],
        unique=False,
        schema="notify",
    )
    create_outbox("notify")
    op.create_table(
        "preferences",
        sa.Column("user_id", sa.String(length=128), nullable=False),
        sa.Column("channels", sa.JSON(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("webhook_url", sa.String(length=2048), nullable=True),
        sa.Column("updated_at", functions.shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id"),
        schema="notify",
    )
    create_processed_events("notify")
    op.create_table(
        "delivery_attempts",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("notification_id", sa.String(length=36), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.Column("started_at", functions.shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", functions.shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["notification_id"],
            ["notify.notifications.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("notification_id", "number", name="uq_attempt_number"),
        schema="notify",
    )


def downgrade() -> None:
    op.drop_table("delivery_attempts", schema="notify")
    drop_processed_events("notify")
    op.drop_table("preferences", schema="notify")
    drop_outbox("notify")
    op.drop_index("ix_notifications_inbox", table_name="notifications", schema="notify")
    op.drop_index("ix_notifications_due", table_name="notifications", schema="notify")
    op.drop_table("notifications", schema="notify")
