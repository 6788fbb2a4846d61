"""The todo service's tables, in the `todo` schema."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from functions.shared.db import UTCDateTime
from functions.shared.events import isoformat_or_none
from functions.shared.idempotency import ProcessedEventMixin
from functions.shared.outbox import OutboxMixin

SCHEMA = "todo"
STATUSES = ("pending", "in_progress", "complete")
PRIORITIES = ("low", "medium", "high")
DLQ_SUFFIX = "-dlq"  # every subscription dead-letters `<topic>` to `<topic>-dlq`


class Base(DeclarativeBase):
    pass


class Task(Base):
    __tablename__ = "tasks"
    __table_args__ = (
        Index("ix_tasks_user_created", "user_id", "created_at", "id"),
        Index("ix_tasks_reminder_due", "reminder_time", "reminder_fired_at"),
        {"schema": SCHEMA},
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(128))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="pending")
    priority: Mapped[str] = mapped_column(String(8), default="medium")
    due_date: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminder_time: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminder_fired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    timezone: Mapped[str | None] = mapped_column(String(64))
    recurrence: Mapped[str | None] = mapped_column(String(512))
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
            "reminder_time": isoformat_or_none(self.reminder_time),
            "timezone": self.timezone,
            "recurrence": self.recurrence,
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


class DeadLetter(Base):
    """An event some subscriber gave up on, as it arrived on `<topic>-dlq`: kept until an
    operator replays it to `<topic>` (see `functions/todo/dead_letters.py`)."""

    __tablename__ = "dead_letters"
    __table_args__ = (
        UniqueConstraint("topic", "event_id"),
        Index("ix_dead_letters_state", "state", "id"),
        {"schema": SCHEMA},
    )

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    topic: Mapped[str] = mapped_column(String(128))  # the dead-letter topic
    event_id: Mapped[str] = mapped_column(String(128))
    event_type: Mapped[str] = mapped_column(String(128))
    partition_key: Mapped[str] = mapped_column(String(128))
    envelope: Mapped[dict[str, Any]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(16))  # dead | replayed
    times_dead: Mapped[int] = mapped_column(Integer, default=1)
    replays: Mapped[int] = mapped_column(Integer, default=0)
    first_dead_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_dead_at: Mapped[datetime] = mapped_column(UTCDateTime)
    replayed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def original_topic(self) -> str:
        return self.topic.removesuffix(DLQ_SUFFIX)

    def view(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "topic": self.topic,
            "original_topic": self.original_topic,
            "event_id": self.event_id,
            "event_type": self.event_type,
            "partition_key": self.partition_key,
            "state": self.state,
            "times_dead": self.times_dead,
            "replays": self.replays,
            "first_dead_at": isoformat_or_none(self.first_dead_at),
            "last_dead_at": isoformat_or_none(self.last_dead_at),
            "replayed_at": isoformat_or_none(self.replayed_at),
            "envelope": self.envelope,
        }


class Outbox(OutboxMixin, Base):
    __schema__ = SCHEMA


class ProcessedEvent(ProcessedEventMixin, Base):
    __schema__ = SCHEMA
