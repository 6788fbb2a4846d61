"""The hub schema's first tables.

Revision ID: hub_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

import functions.shared.db
from functions.shared.migration_tables import create_processed_events, drop_processed_events

revision = "hub_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_processed_events("hub")
    op.create_table(
        "replay_log",
        sa.Column("user_id", sa.String(length=128), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("task_id", sa.String(length=64), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("time", sa.String(length=40), nullable=False),
        sa.Column("created_at", functions.shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id", "seq"),
        schema="hub",
    )
    op.create_index(
        "ix_replay_log_created", "replay_log", ["created_at"], unique=False, schema="hub"
    )
    op.create_index("ix_replay_log_event", "replay_log", ["event_id"], unique=True, schema="hub")
    op.create_table(
        "user_sequences",
        sa.Column("user_id", sa.String(length=128), nullable=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("user_id"),
        schema="hub",
    )


def downgrade() -> None:
    op.drop_table("user_sequences", schema="hub")
    op.drop_index("ix_replay_log_event", table_name="replay_log", schema="hub")
    op.drop_index("ix_replay_log_created", table_name="replay_log", schema="hub")
    op.drop_table("replay_log", schema="hub")
    drop_processed_events("hub")
