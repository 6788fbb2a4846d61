"""Dead letters: events some subscriber gave up on, kept for an operator."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from functions.shared.db import UTCDateTime
from functions.shared.events import isoformat_or_none
from functions.todo.models.base import SCHEMA, Base

DLQ_SUFFIX = "-dlq"  # every subscription dead-letters `<topic>` to `<topic>-dlq`


class DeadLetter(Base):
    """An event some subscriber gave up on, as it arrived on `<topic>-dlq`: kept until an
    operator replays it to `<topic>` (see `functions.todo.dead_letters`)."""

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
