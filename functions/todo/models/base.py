"""The todo schema's declarative base and the names its tables share."""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase

from functions.shared.idempotency import ProcessedEventMixin
from functions.shared.outbox import OutboxMixin

SCHEMA = "todo"


class Base(DeclarativeBase):
    pass


class Outbox(OutboxMixin, Base):
    __schema__ = SCHEMA


class ProcessedEvent(ProcessedEventMixin, Base):
    __schema__ = SCHEMA
