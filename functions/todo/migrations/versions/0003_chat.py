"""Tasks due on a day (all_day) and series that repeat from completion (repeat_from); the
chat's conversations and each user's settings; an index for listing by due date.

Revision ID: todo_0003
Revises: todo_0002
"""

import sqlalchemy as sa
from alembic import op

import functions.shared.db

revision = "todo_0003"
down_revision = "todo_0002"
branch_labels = None
depends_on = None


def _altered_schema() -> str | None:
    """ALTER TABLE names the schema as written (no schema translation): SQLite has none."""
    return None if op.get_bind().dialect.name == "sqlite" else "todo"


def upgrade() -> None:
    op.add_column(
        "tasks",
        sa.Column("all_day", sa.Boolean(), server_default=sa.false(), nullable=False),
        schema=_altered_schema(),
    )
    op.add_column(
        "tasks",
        sa.Column("repeat_from", sa.String(length=16), server_default="due", nullable=False),
        schema=_altered_schema(),
    )
    op.create_index(
        "ix_tasks_user_due", "tasks", ["user_id", "due_date", "id"], unique=False, schema="todo"
    )
    op.create_table(
        "conversations",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=128), nullable=False),
        sa.Column("listed", sa.JSON(), nullable=False),
        sa.Column("pending", sa.JSON(), nullable=True),
        sa.Column("updated_at", functions.shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        schema="todo",
    )
    op.create_index(
        "ix_conversations_user",
        "conversations",
        ["user_id", "updated_at"],
        unique=False,
        schema="todo",
    )
    op.create_table(
        "user_settings",
        sa.Column("user_id", sa.String(length=128), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=True),
        sa.Column("updated_at", functions.shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id"),
        schema="todo",
    )


def downgrade() -> None:
    op.drop_table("user_settings", schema="todo")
    op.drop_index("ix_conversations_user", table_name="conversations", schema="todo")
    op.drop_table("conversations", schema="todo")
    op.drop_index("ix_tasks_user_due", table_name="tasks", schema="todo")
    with op.batch_alter_table("tasks", schema=_altered_schema()) as batch:
        batch.drop_column("repeat_from")
        batch.drop_column("all_day")
