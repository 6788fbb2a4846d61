"""The todo schema's first tables.

Revision ID: todo_0001
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

revision = "todo_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_outbox("todo")
    create_processed_events("todo")
    op.create_table(
        "tasks",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=128), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("priority", sa.String(length=8), nullable=False),
        sa.Column("due_date", functions.shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reminder_time", functions.shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "reminder_fired_at", functions.shared.db.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("timezone", sa.String(length=64), nullable=True),
        sa.Column("recurrence", sa.String(length=512), nullable=True),
        sa.Column("parent_task_id", sa.String(length=36), nullable=True),
        sa.Column("occurrence", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", functions.shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", functions.shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("completed_at", functions.shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("deleted_at", functions.shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        schema="todo",
    )
    op.create_index(
        "ix_tasks_reminder_due",
        "tasks",
        ["reminder_time", "reminder_fired_at"],
        unique=False,
        schema="todo",
    )
    op.create_index(
        "ix_tasks_user_created",
        "tasks",
        ["user_id", "created_at", "id"],
        unique=False,
        schema="todo",
    )
    op.create_table(
        "task_tags",
        sa.Column("task_id", sa.String(length=36), nullable=False),
        sa.Column("tag", sa.String(length=50), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["task_id"], ["todo.tasks.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("task_id", "tag"),
        schema="todo",
    )
    op.create_index(
        "ix_task_tags_tag", "task_tags", ["tag", "task_id"], unique=False, schema="todo"
    )


def downgrade() -> None:
    op.drop_index("ix_task_tags_tag", table_name="task_tags", schema="todo")
    op.drop_table("task_tags", schema="todo")
    op.drop_index("ix_tasks_user_created", table_name="tasks", schema="todo")
    op.drop_index("ix_tasks_reminder_due", table_name="tasks", schema="todo")
    op.drop_table("tasks", schema="todo")
    drop_processed_events("todo")
    drop_outbox("todo")
