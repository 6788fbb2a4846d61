"""Idempotent consumers: `(consumer, event_id)` commits with the side effect.

A redelivered event finds its row already there; the consumer acknowledges it
and changes nothing. The insert is `ON CONFLICT DO NOTHING`, so two concurrent
deliveries of one event cannot both win.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Insert, String, Table
from sqlalchemy.dialects.postgresql import Insert as PgInsert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import Insert as SqliteInsert
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
    return bool(claim_many(session, model, consumer, [event_id]))


def claim_many(
    session: Session, model: type[ProcessedEventMixin], consumer: str, event_ids: Sequence[str]
) -> set[str]:
    """`claim` for many events in one statement: the ids that were not processed yet.

    The rows go in sorted by id, so two replicas claiming overlapping batches (each hub
    replica gets every event) take the rows' locks in the same order and cannot deadlock.
    """
    now = utcnow()
    rows = [
        {"consumer": consumer, "event_id": event_id, "processed_at": now}
        for event_id in sorted(event_ids)
    ]
    return insert_new_many(session, model, rows, "event_id")


def insert_new(session: Session, model: type[Any], **values: Any) -> bool:
    """`INSERT ... ON CONFLICT DO NOTHING`: False when a row with the same key already exists.

    Safe under concurrency on PostgreSQL and SQLite alike: of two racing inserts of
    one key, exactly one wins and the other sees False.
    """
    statement = _insert_new(model.__table__, session.get_bind().dialect.name)
    return session.execute(statement, values).rowcount == 1


def insert_new_many(
    session: Session, model: type[Any], rows: Sequence[dict[str, Any]], key: str
) -> set[Any]:
    """`insert_new` for many rows in one round trip: the `key` values of the rows inserted.

    A list of parameter sets with RETURNING runs as one multi-row INSERT (SQLAlchemy's
    "insertmanyvalues"); without RETURNING, the driver would send one INSERT per row.
    """
    if not rows:
        return set()
    statement = _insert_new(model.__table__, session.get_bind().dialect.name, key)
    return set(session.execute(statement, list(rows)).scalars())


def conflict_insert(table: Table, dialect: str) -> PgInsert | SqliteInsert:
    """An INSERT into `table` with the ON CONFLICT clauses of `dialect` (PostgreSQL's, else
    SQLite's: the two spell them alike)."""
    return pg_insert(table) if dialect == "postgresql" else sqlite_insert(table)


@functools.cache
def _insert_new(table: Table, dialect: str, returning: str | None = None) -> Insert:
    """One statement per table, run with parameters: a Core insert skips the ORM's bulk
    path (and its autoflush), which cost more than the insert itself."""
    statement = conflict_insert(table, dialect).on_conflict_do_nothing()
    return statement if returning is None else statement.returning(table.c[returning])
