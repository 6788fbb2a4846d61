"""The recurring function's tables, in the `recurring` schema."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from functions.shared.db import UTCDateTime
from functions.shared.idempotency import ProcessedEventMixin
from functions.shared.outbox import OutboxMixin

SCHEMA = "recurring"


class Base(DeclarativeBase):
    pass


class Series(Base):
    """One chain of occurrences, keyed by its root task's id.

    `last_occurrence` is the highest occurrence announced so far: completing an
    older one announces nothing. Once `active` is false it never turns true again.
    """

    __tablename__ = "series"
    __table_args__ = ({"schema": SCHEMA},)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(128))
    frequency: Mapped[str | None] = mapped_column(String(512))
    timezone: Mapped[str | None] = mapped_column(String(64))
    series_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_due: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_occurrence: Mapped[int] = mapped_column(Integer, default=0)
    last_task_id: Mapped[str | None] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    ended_reason: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Outbox(OutboxMixin, Base):
    __schema__ = SCHEMA


class ProcessedEvent(ProcessedEventMixin, Base):
    __schema__ = SCHEMA
