"""Dead letters: what subscribers gave up on, kept for inspection and replay.

Revision ID: todo_0002
Revises: todo_0001
"""

import sqlalchemy as sa
from alembic import op

import functions.shared.db

revision = "todo_0002"
down_revision = "todo_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dead_letters",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("topic", sa.String(length=128), nullable=False),
        sa.Column("event_id", sa.String(length=128), nullable=False),
        sa.Column("event_type", sa.String(length=128), nullable=False),
        sa.Column("partition_key", sa.String(length=128), nullable=False),
        sa.Column("envelope", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("times_dead", sa.Integer(), nullable=False),
        sa.Column("replays", sa.Integer(), nullable=False),
        sa.Column("first_dead_at", functions.shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_dead_at", functions.shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("replayed_at", functions.shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("topic", "event_id"),
        schema="todo",
    )
    op.create_index(
        "ix_dead_letters_state", "dead_letters", ["state", "id"], unique=False, schema="todo"
    )


def downgrade() -> None:
    op.drop_index("ix_dead_letters_state", table_name="dead_letters", schema="todo")
    op.drop_table("dead_letters", schema="todo")
