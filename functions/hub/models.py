"""The hub's tables, in the `hub` schema: the durable replay log and its sequences.

`replay_log` keeps each user's recent changes, numbered by a per-user `seq`
without gaps. `user_sequences` holds each user's last `seq`; appending locks
that row, so concurrent appends (from threads or from other replicas sharing
PostgreSQL) take consecutive numbers and never the same one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from functions.shared.db import UTCDateTime
from functions.shared.idempotency import ProcessedEventMixin

SCHEMA = "hub"


class Base(DeclarativeBase):
    pass


class UserSequence(Base):
    __tablename__ = "user_sequences"
    __table_args__ = {"schema": SCHEMA}

    user_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    last_seq: Mapped[int] = mapped_column(BigInteger, default=0)


class ReplayEntry(Base):
    __tablename__ = "replay_log"
    __table_args__ = (
        Index("ix_replay_log_event", "event_id", unique=True),
        Index("ix_replay_log_created", "created_at"),
        {"schema": SCHEMA},
    )

    user_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    event_id: Mapped[str] = mapped_column(String(64))
    type: Mapped[str] = mapped_column(String(64))
    task_id: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    time: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ProcessedEvent(ProcessedEventMixin, Base):
    __schema__ = SCHEMA
