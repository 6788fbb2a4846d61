"""The recurring schema's first tables.

Revision ID: recurring_0001
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

revision = "recurring_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_outbox("recurring")
    create_processed_events("recurring")
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
    drop_processed_events("recurring")
    drop_outbox("recurring")
