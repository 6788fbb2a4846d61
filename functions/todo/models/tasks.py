"""Tasks and their tags."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from functions.shared.db import UTCDateTime
from functions.shared.events import isoformat_or_none
from functions.todo.models.base import SCHEMA, Base

STATUSES = ("pending", "in_progress", "complete")
PRIORITIES = ("low", "medium", "high")
# A series' next due counts from its due date, or from when the occurrence was
# completed (`every!` in the chat).
REPEAT_FROM = ("due", "completion")


class Task(Base):
    __tablename__ = "tasks"
    __table_args__ = (
        Index("ix_tasks_user_created", "user_id", "created_at", "id"),
        Index("ix_tasks_reminder_due", "reminder_time", "reminder_fired_at"),
        Index("ix_tasks_user_due", "user_id", "due_date", "id"),
        {"schema": SCHEMA},
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(128))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="pending")
    priority: Mapped[str] = mapped_column(String(8), default="medium")
    due_date: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A due day without a time: `due_date` is then the end of that day in `timezone`, so
    # the day is the same wherever it is read and the task is overdue once it is over.
    all_day: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    reminder_time: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminder_fired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    timezone: Mapped[str | None] = mapped_column(String(64))
    recurrence: Mapped[str | None] = mapped_column(String(512))
    repeat_from: Mapped[str] = mapped_column(String(16), default="due", server_default="due")
    parent_task_id: Mapped[str | None] = mapped_column(String(36))
    occurrence: Mapped[int | None] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    tag_rows: Mapped[list[TaskTag]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="TaskTag.position"
    )

    @property
    def tags(self) -> list[str]:
        return [row.tag for row in self.tag_rows]

    @tags.setter
    def tags(self, values: list[str]) -> None:
        self.tag_rows = [TaskTag(tag=tag, position=i) for i, tag in enumerate(values)]

    @property
    def etag(self) -> str:
        return f'"{self.version}"'

    def snapshot(self) -> dict[str, Any]:
        """The task as the API and the events show it."""
        return {
            "id": self.id,
            "user_id": self.user_id,
            "title": self.title,
            "description": self.description,
            "status": self.status,
            "priority": self.priority,
            "tags": self.tags,
            "due_date": isoformat_or_none(self.due_date),
            "all_day": self.all_day,
            "reminder_time": isoformat_or_none(self.reminder_time),
            "timezone": self.timezone,
            "recurrence": self.recurrence,
            "repeat_from": self.repeat_from,
            "parent_task_id": self.parent_task_id,
            "occurrence": self.occurrence,
            "version": self.version,
            "created_at": isoformat_or_none(self.created_at),
            "updated_at": isoformat_or_none(self.updated_at),
            "completed_at": isoformat_or_none(self.completed_at),
        }


class TaskTag(Base):
    __tablename__ = "task_tags"
    __table_args__ = (Index("ix_task_tags_tag", "tag", "task_id"), {"schema": SCHEMA})

    task_id: Mapped[str] = mapped_column(
        ForeignKey(f"{SCHEMA}.tasks.id", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(String(50), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
