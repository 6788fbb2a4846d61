"""The notify function's tables, in the `notify` schema.

One `Notification` per (task, reminder time, channel) — the unique constraint
is what makes a reminder reach each channel once, however often it arrives.
Each try to deliver it is a `DeliveryAttempt` row.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from functions.shared.db import UTCDateTime
from functions.shared.events import isoformat_or_none
from functions.shared.idempotency import ProcessedEventMixin
from functions.shared.outbox import OutboxMixin

SCHEMA = "notify"
IN_APP, EMAIL, WEBHOOK = "in_app", "email", "webhook"
CHANNELS = (IN_APP, EMAIL, WEBHOOK)
PENDING, SENT, FAILED = "pending", "sent", "failed"


class Base(DeclarativeBase):
    pass


class Preferences(Base):
    __tablename__ = "preferences"
    __table_args__ = ({"schema": SCHEMA},)

    user_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    channels: Mapped[list[str]] = mapped_column(JSON)
    email: Mapped[str | None] = mapped_column(String(254))
    webhook_url: Mapped[str | None] = mapped_column(String(2048))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    def view(self) -> dict[str, Any]:
        return {"channels": self.channels, "email": self.email, "webhook_url": self.webhook_url}


class Notification(Base):
    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("task_id", "reminder_time", "channel", name="uq_notification_once"),
        Index("ix_notifications_due", "status", "next_attempt_at"),
        Index("ix_notifications_inbox", "user_id", "channel", "created_at", "id"),
        {"schema": SCHEMA},
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(128))
    task_id: Mapped[str] = mapped_column(String(64))
    reminder_time: Mapped[datetime] = mapped_column(UTCDateTime)
    channel: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    due_date: Mapped[datetime | None] = mapped_column(UTCDateTime)
    target: Mapped[str | None] = mapped_column(String(2048))
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def view(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "task_id": self.task_id,
            "title": self.title,
            "channel": self.channel,
            "status": self.status,
            "reminder_time": isoformat_or_none(self.reminder_time),
            "due_date": isoformat_or_none(self.due_date),
            "created_at": isoformat_or_none(self.created_at),
            "sent_at": isoformat_or_none(self.sent_at),
            "read": self.read_at is not None,
            "read_at": isoformat_or_none(self.read_at),
        }


class DeliveryAttempt(Base):
    __tablename__ = "delivery_attempts"
    __table_args__ = (
        UniqueConstraint("notification_id", "number", name="uq_attempt_number"),
        {"schema": SCHEMA},
    )

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    notification_id: Mapped[str] = mapped_column(ForeignKey(f"{SCHEMA}.notifications.id"))
    number: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    error: Mapped[str | None] = mapped_column(String(500))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Outbox(OutboxMixin, Base):
    __schema__ = SCHEMA


class ProcessedEvent(ProcessedEventMixin, Base):
    __schema__ = SCHEMA
