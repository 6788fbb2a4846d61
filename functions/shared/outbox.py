"""The transactional outbox: events commit with the row that caused them.

A handler adds `Event`s to its unit of work; the unit of work writes them to the
app's `outbox` table in the same transaction. `OutboxRelay` then publishes them,
in id order (so in order per task), woken by the commit, and backs off
exponentially while the sidecar or broker is down. Publishing is at least once:
consumers dedupe by event id.
"""

from __future__ import annotations

import logging
import os
import random
import signal
import time
import zlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from sqlalchemy import JSON, BigInteger, Index, Integer, String, func, select, text, update
from sqlalchemy.orm import Mapped, Session, declared_attr, mapped_column, sessionmaker

from functions.shared import metrics
from functions.shared.db import UTCDateTime
from functions.shared.events import Event, utcnow
from functions.shared.logs import current, log_context
from functions.shared.loop import Loop

log = logging.getLogger(__name__)

RELAY_LOCK_CLASS = 0x70D0  # pg advisory lock (class, crc32(app)): one publishing relay per app


class PublishError(RuntimeError):
    """The sidecar or broker did not take the event; the outbox keeps it."""


class Publisher(Protocol):
    def publish(self, topic: str, envelope: dict[str, Any], key: str) -> None: ...


@runtime_checkable
class BatchPublisher(Publisher, Protocol):
    """A publisher that takes a whole batch at once, all or nothing."""

    def publish_many(self, items: Sequence[tuple[str, dict[str, Any], str]]) -> None: ...


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
    now = utcnow()
    traceparent = current("traceparent")
    for topic, event in routed:
        session.add(
            model(
                event_id=event.event_id,
                topic=topic,
                partition_key=event.task_id,
                envelope=event.to_cloudevent(source, traceparent),
                created_at=now,
            )
        )


class OutboxRelay(Loop):
    """Publishes one app's outbox in a background thread."""

    def __init__(
        self,
        app: str,
        sessions: sessionmaker[Session],
        model: type[OutboxMixin],
        publisher: Publisher,
        *,
        batch_size: int = 100,
        poll_seconds: float = 2.0,
        max_backoff_seconds: float = 30.0,
        failpoint: str | None = None,
        readers: sessionmaker[Session] | None = None,
    ) -> None:
        super().__init__(f"outbox-{app}")
        self.app = app
        self.sessions = sessions
        self.model = model
        self.publisher = publisher
        self.batch_size = batch_size
        self.poll_seconds = poll_seconds
        self.max_backoff_seconds = max_backoff_seconds
        self._failures = 0
        self._leader_conn: Any = None
        self.failpoint = failpoint
        self.readers = readers or sessions

    def stop(self, timeout: float = 5.0) -> None:
        super().stop(timeout)
        if self._leader_conn is not None:
            self._leader_conn.close()
            self._leader_conn = None

    def step(self) -> None:
        try:
            published = self.publish_batch()
        except Exception as exc:  # the loop must survive any outage
            self._failures += 1
            delay = self._backoff(self._failures)
            metrics.OUTBOX_FAILURES.labels(self.app).inc()
            log.warning(
                "outbox publish failed; retrying",
                extra={"app": self.app, "error": str(exc), "retry_in_s": round(delay, 3)},
            )
            self.pause(delay)
            return
        self._failures = 0
        if published < self.batch_size:
            self.idle(self.poll_seconds)

    def _backoff(self, failures: int) -> float:
        base = min(self.max_backoff_seconds, 0.05 * 2**failures)
        return base * random.uniform(0.5, 1.0)

    def publish_batch(self) -> int:
        """Publish up to one batch; return how many went out. Raises when publishing fails."""
        if not self._is_leader():
            return 0
        with self.readers() as session:
            rows = session.scalars(
                select(self.model)
                .where(self.model.published_at.is_(None))
                .order_by(self.model.id)
                .limit(self.batch_size)
            ).all()
        done: list[Any] = []
        self._fail_at("relay.before_publish", rows)
        try:
            if rows and isinstance(self.publisher, BatchPublisher):
                self.publisher.publish_many([(r.topic, r.envelope, r.partition_key) for r in rows])
                done = list(rows)
            else:
                for row in rows:
                    with log_context(
                        task_id=row.partition_key,
                        event_id=row.event_id,
                        traceparent=row.envelope.get("traceparent"),
                    ):
                        self.publisher.publish(row.topic, row.envelope, row.partition_key)
                    done.append(row)
            self._fail_at("relay.after_publish", rows)
        finally:
            if done:
                self._mark_published(done)
            self.refresh_lag()
        return len(done)

    def _mark_published(self, rows: Sequence[Any]) -> None:
        with self.sessions.begin() as session:
            session.execute(
                update(self.model)
                .where(self.model.id.in_([row.id for row in rows]))
                .values(published_at=utcnow())
            )
        for row in rows:
            metrics.OUTBOX_PUBLISHED.labels(self.app, row.topic).inc()
            log.debug(
                "event published",
                extra={"topic": row.topic, "event_id": row.event_id, "task_id": row.partition_key},
            )

    def _fail_at(self, point: str, rows: Sequence[Any]) -> None:
        if rows and self.failpoint == point:
            # A power cut: the serving process and its gunicorn arbiter die at once,
            # so nothing restarts the worker behind the test's back.
            log.warning("failpoint reached; killing the server", extra={"failpoint": point})
            os.kill(os.getppid(), signal.SIGKILL)
            os._exit(86)

    def _is_leader(self) -> bool:
        """On PostgreSQL only one replica's relay publishes, keeping per-task order."""
        engine = self.sessions.kw["bind"]
        if engine.dialect.name != "postgresql":
            return True
        if self._leader_conn is None or self._leader_conn.closed:
            # A session-level lock lives as long as this connection: if the replica
            # dies, PostgreSQL releases it and another relay takes over.
            self._leader_conn = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            return bool(
                self._leader_conn.execute(
                    text("SELECT pg_try_advisory_lock(:cls, :key)"),
                    {"cls": RELAY_LOCK_CLASS, "key": zlib.crc32(self.app.encode()) & 0x7FFFFFFF},
                ).scalar()
            )
        except Exception:
            self._leader_conn.invalidate()
            self._leader_conn = None
            raise

    def refresh_lag(self) -> dict[str, float]:
        current = outbox_lag(self.readers, self.model)
        metrics.OUTBOX_PENDING.labels(self.app).set(current["pending"])
        metrics.OUTBOX_OLDEST.labels(self.app).set(current["oldest_seconds"])
        return current


def outbox_lag(sessions: sessionmaker[Session], model: type[OutboxMixin]) -> dict[str, float]:
    """How many events wait to be published, and the age of the oldest in seconds."""
    with sessions() as session:
        count, oldest = session.execute(
            select(func.count(), func.min(model.created_at)).where(model.published_at.is_(None))
        ).one()
    age = 0.0 if oldest is None else max(0.0, time.time() - oldest.timestamp())
    return {"pending": int(count), "oldest_seconds": round(age, 3)}
