"""The outbox relay: publishes an app's outbox in a background loop.

Rows go out in id order (so in order per task), woken by the commit that wrote
them, a batch at a time, with exponential back-off while the sidecar or broker
is down. On PostgreSQL one replica's relay publishes at a time (an advisory
lock), so several replicas keep the per-task order. A replica that does not lead
announces its writers' events to the one that does (a `NOTIFY` from its relay's loop,
after their commits), whose relay LISTENs (`OutboxNotices`) and publishes them at once
rather than on its next poll.

A writer may instead `flush()` in its own thread, right after its commit: its events
are then on their topics before it answers, as if it had published them itself, and
the outbox still covers a crash or an outage between the two. One round runs at a
time (the writers' and the loop's), in id order, so the order per task holds; a
round publishes every event pending, so writers that commit together share one.
"""

from __future__ import annotations

import logging
import os
import random
import selectors
import signal
import threading
import zlib
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from sqlalchemy import BigInteger, Connection, Engine, Row, any_, bindparam, select, text, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session, sessionmaker

from functions.shared import metrics
from functions.shared.events import utcnow
from functions.shared.logs import log_context
from functions.shared.loop import Loop
from functions.shared.outbox import (
    BatchPublisher,
    OutboxMixin,
    Publisher,
    PublishError,
    outbox_lag,
)

log = logging.getLogger(__name__)
R = TypeVar("R")
RELAY_LOCK_CLASS = 0x70D0  # pg advisory lock (class, crc32(app)): one publishing relay per app
# A writer waits this long at most for the round before its own (then the loop takes over):
# the publish timeout bounds a round, but a writer's answer should not wait for all of it.
FLUSH_WAIT_SECONDS = 1.0


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
        self._turn = threading.Lock()  # one round at a time: the loop's or a writer's
        self._rounds = 0  # rounds that read the outbox
        self._all_out_at = 0  # the last round that read all that waited and published it
        self._behind = False  # the last round failed or left more than a batch waiting
        self._leader_conn: Any = None
        self._leading = False
        self.failpoint = failpoint
        self.readers = readers or sessions
        self._engine: Engine = sessions.kw["bind"]
        self._on_postgres = self._engine.dialect.name == "postgresql"  # only there: a leader
        # A round's two statements, built once (building one costs more than running it).
        table = model.__table__  # type: ignore[attr-defined]
        self._read = (
            select(
                table.c.id, table.c.event_id, table.c.topic, table.c.partition_key, table.c.envelope
            )
            .where(table.c.published_at.is_(None))
            .order_by(table.c.id)
            .limit(batch_size)
        )
        # PostgreSQL takes the ids as one array, so the statement's text never changes; an
        # expanding IN is rendered again for each number of ids
        ids = (
            table.c.id == any_(bindparam("ids", type_=ARRAY(BigInteger)))
            if self._on_postgres
            else table.c.id.in_(bindparam("ids", expanding=True))
        )
        self._settle = update(table).where(ids).values(published_at=bindparam("at"))
        self._batches = isinstance(publisher, BatchPublisher)  # a Protocol check is slow
        self.channel = f"todomesh_outbox_{app}"
        self._announce = False  # a writer of this replica, which does not lead, committed
        self.notices: OutboxNotices | None = None  # while this replica leads

    def written(self) -> None:
        """After a writer's commit: wake the loop. If this replica does not lead, the loop
        first tries to, and failing that tells the one that does (`NOTIFY`), once for all
        the commits since its last round."""
        if not self._leads():
            self._announce = True
        self.wake()

    def _leads(self) -> bool:
        return self._leading or not self._on_postgres

    def stop(self, timeout: float = 5.0) -> None:
        thread = self._thread
        super().stop(timeout)
        # else the loop, or a writer's flush, may still be using it
        if (thread is None or not thread.is_alive()) and self._turn.acquire(timeout=timeout):
            try:
                self._drop_leadership()
            finally:
                self._turn.release()

    def step(self) -> None:
        try:
            published = self.publish_batch()
        except Exception as exc:  # the loop must survive any outage
            self._failures += 1
            delay = self._backoff(self._failures)
            self._report_failure(exc, delay)
            self.pause(delay)
            return
        self._failures = 0
        if published < self.batch_size:
            self.idle(self.poll_seconds)

    @property
    def caught_up(self) -> bool:
        """Whether the last round that ended published all that waited (less than a batch)."""
        return not self._behind

    def flush(self) -> None:
        """Publish what is pending in the calling thread (a writer, after its commit).

        Only while the relay is caught up: after a failed round (the loop retries with
        back-off) or with a backlog (the loop drains it), the writer leaves its events to
        the loop, as it does when the round before its own takes more than
        FLUSH_WAIT_SECONDS or while another replica leads (`written`). A failure here is
        the loop's to retry; the writer's commit stands either way."""
        if self.stopping or not self.caught_up or not self._leads():
            self.written()
            return
        read_before = self._rounds  # a round numbered later reads after our commit
        if not self._turn.acquire(timeout=FLUSH_WAIT_SECONDS):
            self.wake()
            return
        try:
            # stopped while we waited, or a round that began after our commit published
            # all that waited, ours with it, or one failed meanwhile
            if self.stopping or self._all_out_at > read_before or not self.caught_up:
                return
            self._publish_batch()
        except Exception as exc:  # the write is committed: the outbox has its events
            self._report_failure(exc, None)
        finally:
            if self.stopping:  # a stop that could not wait for this round lets go now
                self._drop_leadership()
            self._turn.release()
            if not self.caught_up:
                self.wake()  # a failure, or more than a batch waited: the loop's turn

    def _report_failure(self, exc: Exception, retry_in: float | None) -> None:
        metrics.OUTBOX_FAILURES.labels(self.app).inc()
        log.warning(
            "outbox publish failed; retrying",
            extra={
                "app": self.app,
                "error": str(exc),
                "retry_in_s": round(retry_in, 3) if retry_in is not None else "at once",
            },
        )

    def _backoff(self, failures: int) -> float:
        base = min(self.max_backoff_seconds, 0.05 * 2**failures)
        return base * random.uniform(0.5, 1.0)

    def publish_batch(self) -> int:
        """Publish up to one batch; return how many went out. Raises when publishing fails."""
        with self._turn:
            return self._publish_batch()

    def _publish_batch(self) -> int:
        if not self._is_leader():
            if self._announce:  # after the writers' commits: theirs never wait on it
                self._announce = False
                try:
                    self._leader_conn.execute(ANNOUNCE, {"channel": self.channel})
                except Exception:
                    self._announce = True  # the next round tells it, or the leader's poll
                    self._drop_leadership()
                    raise
            return 0
        # numbered before it reads: a writer that read N after its commit counts only on a
        # round numbered above N, and such a round reads after that commit
        self._rounds += 1
        rows = self._on_outbox(self._pending)
        done: list[Any] = []
        self._fail_at("relay.before_publish", rows)
        try:
            if rows and self._batches:
                items = [(row.topic, row.envelope, row.partition_key) for row in rows]
                missed = set(self.publisher.publish_many(items))
                done = [row for index, row in enumerate(rows) if index not in missed]
                if missed:
                    raise PublishError(f"{len(missed)} of {len(rows)} events not published")
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
            self._end_round(rows, done)
        return len(done)

    def _end_round(self, rows: Sequence[Any], done: Sequence[Any]) -> None:
        """Mark what went out; note whether the round left the relay caught up."""
        caught_up = False
        try:
            if done:
                self._mark_published(done)
            # all that waited when the batch was read went out, and it was all there was
            caught_up = len(done) == len(rows) and len(rows) < self.batch_size
        finally:
            self._behind = not caught_up
        if caught_up:
            self._all_out_at = self._rounds
            metrics.OUTBOX_PENDING.labels(self.app).set(0)
            metrics.OUTBOX_OLDEST.labels(self.app).set(0)
        else:
            self.refresh_lag()  # more may wait

    def _pending(self, db: Connection | Session) -> Sequence[Row[Any]]:
        return db.execute(self._read).all()

    def _mark_published(self, rows: Sequence[Any]) -> None:
        ids = [row.id for row in rows]
        self._on_outbox(
            lambda db: db.execute(self._settle, {"ids": ids, "at": utcnow()}), write=True
        )
        for row in rows:
            metrics.OUTBOX_PUBLISHED.labels(self.app, row.topic).inc()
            log.debug(
                "event published",
                extra={"topic": row.topic, "event_id": row.event_id, "task_id": row.partition_key},
            )

    def _on_outbox(self, work: Callable[[Connection | Session], R], write: bool = False) -> R:
        """Run `work` against the outbox. On PostgreSQL that is the connection holding this
        relay's leader lock, in autocommit: each statement is its own transaction, with no
        pool checkout, liveness ping, BEGIN or ROLLBACK around it. Elsewhere a session of
        its own (SQLite's writers take turns through `sessions.begin`)."""
        if self._leader_conn is not None:
            try:
                return work(self._leader_conn)
            except Exception:
                self._drop_leadership()
                raise
        if write:
            with self.sessions.begin() as session:
                return work(session)
        with self.readers() as session:
            return work(session)

    def _fail_at(self, point: str, rows: Sequence[Any]) -> None:
        if rows and self.failpoint == point:
            # A power cut: the serving process and its gunicorn arbiter die at once,
            # so nothing restarts the worker behind the test's back.
            log.warning("failpoint reached; killing the server", extra={"failpoint": point})
            os.kill(os.getppid(), signal.SIGKILL)
            os._exit(86)

    def _is_leader(self) -> bool:
        """On PostgreSQL only one replica's relay publishes, keeping per-task order.

        A session-level lock lives as long as the connection that took it: if the replica
        dies, PostgreSQL releases it and another relay takes over. Once held, it needs no
        asking again: every read and settle of the outbox runs on that same connection, so
        the first statement after the session ended fails, and leadership goes with it."""
        if not self._on_postgres:
            return True
        if self._leading and self._leader_conn is not None:
            return True
        try:
            if self._leader_conn is None or self._leader_conn.closed:
                self._leader_conn = _autocommit_connection(self._engine)
                self._leader_conn.execute(INDEX_SCANS_ONLY)
            self._leading = bool(
                self._leader_conn.execute(
                    text("SELECT pg_try_advisory_lock(:cls, :key)"),
                    {"cls": RELAY_LOCK_CLASS, "key": zlib.crc32(self.app.encode()) & 0x7FFFFFFF},
                ).scalar()
            )
        except Exception:
            self._drop_leadership()
            raise
        if self._leading:
            self.notices = OutboxNotices(
                self._engine, self.channel, self.wake, recheck_seconds=self.poll_seconds
            )
            self.notices.start()
        return self._leading

    def _drop_leadership(self) -> None:
        """Close the leader connection for good (not back to the pool, where its session,
        and the lock with it, would live on): PostgreSQL then releases the lock."""
        self._leading = False
        notices, self.notices = self.notices, None
        if notices is not None:
            notices.stop(timeout=1.0)
        if self._leader_conn is not None:
            self._leader_conn.invalidate()
            self._leader_conn = None

    def refresh_lag(self) -> dict[str, float]:
        current = outbox_lag(self.readers, self.model)
        metrics.OUTBOX_PENDING.labels(self.app).set(current["pending"])
        metrics.OUTBOX_OLDEST.labels(self.app).set(current["oldest_seconds"])
        return current


ANNOUNCE = text("SELECT pg_notify(:channel, '')")
# For the leader's session, which only reads and settles the outbox. A settled row keeps
# its dead version, and that version's entry in the pending index, until a vacuum. A
# plain index scan marks such an entry dead once it has seen it, and later scans skip it;
# a bitmap scan never does, so every round would read again all that was settled since
# the last vacuum. The planner takes a bitmap scan for the few rows it expects pending:
# after 15 s of 140 writes/s, 4,400 entries and up to 2.9 ms a round.
INDEX_SCANS_ONLY = text("SET enable_bitmapscan = off")


class OutboxNotices(Loop):
    """While its relay leads: calls `noticed()` when another replica announced events.

    Its own PostgreSQL connection LISTENs on the app's channel. pg8000 has no call that
    waits for a notice, so the loop waits until the connection's socket has something to
    read, then runs `SELECT 1`, in whose reply pg8000 reads the notices that came. A
    notice that came in the same read as an earlier reply is found on the next look, at
    most `recheck_seconds` later: no later than the relay's poll would have.
    """

    def __init__(
        self,
        engine: Engine,
        channel: str,
        noticed: Callable[[], None],
        recheck_seconds: float = 2.0,
    ) -> None:
        super().__init__(f"notices-{channel}")
        self.engine, self.channel, self.noticed = engine, channel, noticed
        self.recheck_seconds = recheck_seconds
        self._connection: Connection | None = None
        self._selector: selectors.BaseSelector | None = None
        self._stop_pipe: tuple[int, int] | None = None  # cuts the wait short on stop
        self._failures = 0
        self.backend_pid: int | None = None  # the listening session's, while it listens
        self.reconnects = 0  # times it listened again, after losing its connection

    @property
    def listening(self) -> bool:
        return self.backend_pid is not None

    def start(self) -> None:
        self._stop_pipe = os.pipe()
        super().start()

    def stop(self, timeout: float = 5.0) -> None:
        thread, pipe = self._thread, self._stop_pipe
        self._stop.set()  # before the pipe: the woken loop must see it
        if pipe is not None:
            os.write(pipe[1], b"x")
        super().stop(timeout)
        if thread is not None and thread.is_alive():
            return  # still in a statement: its connection and pipe go with the process
        self._close()
        if pipe is not None:
            self._stop_pipe = None
            for fd in pipe:
                os.close(fd)

    def step(self) -> None:
        try:
            if self._connection is None:
                self._listen()
            assert self._connection is not None and self._selector is not None
            self._selector.select(self.recheck_seconds)
            if self.stopping:  # `stop` closes it too, unless it gave up waiting for us
                self._close()
                return
            self._connection.exec_driver_sql("SELECT 1").all()
            notifications = _dbapi(self._connection).notifications
            self._failures = 0
        except Exception as exc:  # PostgreSQL away: the relay's poll still finds the events
            self._close()
            self._failures += 1
            log.info("outbox notices lost; listening again", extra={"error": str(exc)})
            self.pause(min(30.0, 0.5 * 2**self._failures))
            return
        if notifications:
            notifications.clear()
            self.noticed()

    def _listen(self) -> None:
        assert self._stop_pipe is not None, "started"
        connection = _autocommit_connection(self.engine)
        try:
            connection.exec_driver_sql(f'LISTEN "{self.channel}"')
            backend_pid = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()
            selector = selectors.DefaultSelector()  # epoll: any descriptor number
            selector.register(_dbapi(connection)._usock, selectors.EVENT_READ)
            selector.register(self._stop_pipe[0], selectors.EVENT_READ)
        except Exception:
            connection.invalidate()
            raise
        if self._failures:
            self.reconnects += 1
        self._connection, self._selector, self.backend_pid = connection, selector, backend_pid

    def _close(self) -> None:
        """Never back to the pool: the session would go on listening."""
        self.backend_pid = None
        if self._selector is not None:
            self._selector.close()
            self._selector = None
        if self._connection is not None:
            self._connection.invalidate()
            self._connection = None


def _dbapi(connection: Connection) -> Any:
    """The pg8000 connection under `connection` (its socket, its notices)."""
    return connection.connection.dbapi_connection


def _autocommit_connection(engine: Engine) -> Connection:
    """A connection in which each statement commits on its own.

    pg8000 begins a transaction for the pool's liveness ping on checkout; it is ended
    first, or turning autocommit on would leave it open under every later statement:
    never committed, and the session idle in a transaction for as long as it lives."""
    connection = engine.connect()
    try:
        _dbapi(connection).rollback()
        return connection.execution_options(isolation_level="AUTOCOMMIT")
    except Exception:
        connection.invalidate()
        connection.close()
        raise
