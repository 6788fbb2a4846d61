"""The audit schema's first tables.

Revision ID: audit_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

import functions.shared.db
from functions.shared.migration_tables import create_processed_events, drop_processed_events

revision = "audit_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_processed_events("audit")
    op.create_table(
        "records",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("event_type", sa.String(length=64), nullable=False),
        sa.Column("task_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=128), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("occurred_at", functions.shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", functions.shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_id"),
        schema="audit",
    )
    op.create_index(
        "ix_records_user_task_time",
        "records",
        ["user_id", "task_id", "occurred_at", "id"],
        unique=False,
        schema="audit",
    )
    op.create_index(
        "ix_records_user_time",
        "records",
        ["user_id", "occurred_at", "id"],
        unique=False,
        schema="audit",
    )


def downgrade() -> None:
    op.drop_index("ix_records_user_time", table_name="records", schema="audit")
    op.drop_index("ix_records_user_task_time", table_name="records", schema="audit")
    op.drop_table("records", schema="audit")
    drop_processed_events("audit")
