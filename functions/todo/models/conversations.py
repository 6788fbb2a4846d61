"""What the chat remembers between messages, and a user's own settings."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from functions.shared.db import UTCDateTime
from functions.todo.models.base import SCHEMA, Base


class Conversation(Base):
    """A short per-user chat state: the tasks last listed (so "complete 2" works) and
    what the last question was about."""

    __tablename__ = "conversations"
    __table_args__ = (Index("ix_conversations_user", "user_id", "updated_at"), {"schema": SCHEMA})

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(128))
    listed: Mapped[list[str]] = mapped_column(JSON, default=list)
    pending: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class UserSettings(Base):
    """A user's stored preferences: the time zone dates are read in when a request has none."""

    __tablename__ = "user_settings"
    __table_args__ = {"schema": SCHEMA}

    user_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    timezone: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
