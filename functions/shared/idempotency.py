"""Idempotent consumers: `(consumer, event_id)` commits with the side effect.

A redelivered event finds its row already there; the consumer acknowledges it
and changes nothing. The insert is `ON CONFLICT DO NOTHING`, so two concurrent
deliveries of one event cannot both win.
"""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

from sqlalchemy import Insert, String, Table
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, Session, declared_attr, mapped_column

from functions.shared.db import UTCDateTime
from functions.shared.events import utcnow


class ProcessedEventMixin:
    """Columns of an app's `processed_events` table, mapped into the app's schema."""

    __tablename__ = "processed_events"

    consumer: Mapped[str] = mapped_column(String(64), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    processed_at: Mapped[datetime] = mapped_column(UTCDateTime)

    @declared_attr.directive
    def __table_args__(cls) -> dict[str, Any]:  # noqa: N805
        return {"schema": cls.__schema__}


def claim(session: Session, model: type[ProcessedEventMixin], consumer: str, event_id: str) -> bool:
    """Record the event as processed by `consumer`; False if it already was."""
    return insert_new(session, model, consumer=consumer, event_id=event_id, processed_at=utcnow())


def insert_new(session: Session, model: type[Any], **values: Any) -> bool:
    """`INSERT ... ON CONFLICT DO NOTHING`: False when a row with the same key already exists.

    Safe under concurrency on PostgreSQL and SQLite alike: of two racing inserts of
    one key, exactly one wins and the other sees False.
    """
    statement = _insert_new(model.__table__, session.get_bind().dialect.name)
    return session.execute(statement, values).rowcount == 1


@functools.cache
def _insert_new(table: Table, dialect: str) -> Insert:
    """One statement per table, run with parameters: a Core insert skips the ORM's bulk
    path (and its autoflush), which cost more than the insert itself."""
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    return insert(table).on_conflict_do_nothing()
