"""The transactional outbox: events commit with the row that caused them.

A handler adds `Event`s to its unit of work; the unit of work writes them to the
app's `outbox` table in the same transaction, and `functions.shared.relay`
publishes them. Publishing is at least once: consumers dedupe by event id.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from sqlalchemy import JSON, BigInteger, Index, Integer, String, func, insert, select
from sqlalchemy.orm import Mapped, Session, declared_attr, mapped_column, sessionmaker

from functions.shared.db import UTCDateTime
from functions.shared.events import Event, utcnow
from functions.shared.logs import current

log = logging.getLogger(__name__)


class PublishError(RuntimeError):
    """The sidecar or broker did not take the event; the outbox keeps it."""


class Publisher(Protocol):
    def publish(self, topic: str, envelope: dict[str, Any], key: str) -> None: ...


@runtime_checkable
class BatchPublisher(Publisher, Protocol):
    """A publisher that takes a whole batch at once, keeping each key's order.

    `publish_many` returns the positions of the items it did not publish (none when all
    went out); an item left out leaves every later item of its key out too. It raises
    PublishError when nothing could be published."""

    def publish_many(self, items: Sequence[tuple[str, dict[str, Any], str]]) -> Collection[int]: ...


class OutboxMixin:
    """Columns of an app's `outbox` table; each app maps it into its own schema."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    event_id: Mapped[str] = mapped_column(String(36))
    topic: Mapped[str] = mapped_column(String(64))
    partition_key: Mapped[str] = mapped_column(String(64))
    envelope: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Any, ...]:  # noqa: N805
        return (
            Index(f"ix_{cls.__schema__}_outbox_pending", "published_at", "id"),
            {"schema": cls.__schema__},
        )


def add_events(
    session: Session, model: type[OutboxMixin], routed: list[tuple[str, Event]], source: str
) -> None:
    """Stage `(topic, event)` pairs in the outbox, inside the caller's transaction."""
    traceparent = current("traceparent")
    add_envelopes(
        session,
        model,
        [
            (topic, event.task_id, event.to_cloudevent(source, traceparent))
            for topic, event in routed
        ],
    )


def add_envelopes(
    session: Session, model: type[OutboxMixin], items: list[tuple[str, str, dict[str, Any]]]
) -> None:
    """Stage `(topic, key, envelope)` CloudEvents as they are, in the caller's transaction:
    one multi-row insert, its rows numbered in the order given (the relay's order).

    The statement does not depend on the rows, so SQLAlchemy compiles it once for one row
    and once for several; with `RETURNING`, its "insertmanyvalues" sends several rows as
    one multi-row insert (up to 1,000 rows a statement; without it, pg8000 would get one
    statement per row). A `.values(rows)` insert would be compiled again on every write."""
    if not items:
        return
    now = utcnow()
    rows = [
        {
            "event_id": envelope["id"],
            "topic": topic,
            "partition_key": key,
            "envelope": envelope,
            "created_at": now,
        }
        for topic, key, envelope in items
    ]
    table = model.__table__  # type: ignore[attr-defined]
    session.execute(insert(table).returning(table.c.id), rows)


def outbox_lag(sessions: sessionmaker[Session], model: type[OutboxMixin]) -> dict[str, float]:
    """How many events wait to be published, and the age of the oldest in seconds."""
    with sessions() as session:
        count, oldest = session.execute(
            select(func.count(), func.min(model.created_at)).where(model.published_at.is_(None))
        ).one()
    age = 0.0 if oldest is None else max(0.0, time.time() - oldest.timestamp())
    return {"pending": int(count), "oldest_seconds": round(age, 3)}
