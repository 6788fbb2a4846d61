"""The audit trail's tables, in the `audit` schema: records are written once, never changed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, Integer, String, event
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from functions.shared.db import UTCDateTime
from functions.shared.events import isoformat
from functions.shared.idempotency import ProcessedEventMixin

SCHEMA = "audit"


class Base(DeclarativeBase):
    pass


class AuditRecord(Base):
    """One task event as it happened: append-only (see `_refuse_changes`)."""

    __tablename__ = "records"
    __table_args__ = (
        Index("ix_records_user_time", "user_id", "occurred_at", "id"),
        Index("ix_records_user_task_time", "user_id", "task_id", "occurred_at", "id"),
        {"schema": SCHEMA},
    )

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    event_id: Mapped[str] = mapped_column(String(64), unique=True)
    event_type: Mapped[str] = mapped_column(String(64))
    task_id: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[str] = mapped_column(String(128))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)

    def view(self) -> dict[str, Any]:
        return {
            "event_id": self.event_id,
            "event_type": self.event_type,
            "task_id": self.task_id,
            "user_id": self.user_id,
            "payload": self.payload,
            "occurred_at": isoformat(self.occurred_at),
            "recorded_at": isoformat(self.recorded_at),
        }


class ProcessedEvent(ProcessedEventMixin, Base):
    __schema__ = SCHEMA


@event.listens_for(AuditRecord, "before_update")
@event.listens_for(AuditRecord, "before_delete")
def _refuse_changes(*_args: Any) -> None:
    raise PermissionError("audit records are immutable")
