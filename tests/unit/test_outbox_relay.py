"""The outbox relay publishes in order, stops at a failure, backs off and catches up."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select, text, update
from sqlalchemy.engine.default import CACHE_HIT
from sqlalchemy.exc import DBAPIError

from functions.shared.context import AppContext
from functions.shared.events import Event, utcnow
from functions.shared.outbox import PublishError, outbox_lag
from functions.shared.relay import OutboxRelay
from functions.shared.settings import Settings
from functions.todo import build
from tests.support.harness import statements
from tests.support.waiting import wait_for


class FakePublisher:
    def __init__(self) -> None:
        self.published: list[tuple[str, str, str]] = []
        self.down = False
        self.calls = 0
        self.event = threading.Event()

    def publish(self, topic: str, envelope: dict[str, Any], key: str) -> None:
        self.calls += 1
        if self.down:
            raise PublishError("broker down")
        self.published.append((topic, key, envelope["id"]))
        self.event.set()


@pytest.fixture
def ctx(settings: Settings) -> Iterator[AppContext]:
    """The todo app's context on SQLite, and on PostgreSQL."""
    context = build(settings)
    yield context
    context.stop()


def emit(ctx: AppContext, *keys: str) -> list[str]:
    ids = []
    with ctx.unit_of_work() as uow:
        for key in keys:
            change = Event("task.updated", key, "alice", {"n": len(ids)})
            uow.emit(change, "task-events")
            ids.append(change.event_id)
    return ids


RelayFor = Callable[..., OutboxRelay]


def first_round(relay: OutboxRelay) -> OutboxRelay:
    """`relay`'s first round, as its loop's first would be: on PostgreSQL it then leads, and
    its notices listen before this returns, so that their LISTEN lands in no test's count."""
    assert relay.publish_batch() == 0
    notices = relay.notices
    if notices is not None:
        wait_for(lambda: notices.listening, "the leader listening")
    return relay


def flushed_by_writers(ctx: AppContext, relay: OutboxRelay) -> OutboxRelay:
    """Each writer of `ctx` flushes `relay` after its commit (`attach_relay(flush=True)`),
    once `relay` had its first round."""
    first_round(relay)
    ctx.on_commit.append(lambda _events: relay.flush())
    return relay


def keys_published(publisher: FakePublisher, count: int) -> list[str]:
    """The keys of the first `count` events published, once that many were."""
    published = wait_for(
        lambda: list(publisher.published), f"{count} published", until=lambda p: len(p) >= count
    )
    return [key for _, key, _ in published]


@pytest.fixture
def relay_for() -> Iterator[RelayFor]:
    """`relay_for(ctx, publisher, **options)`: a relay of the todo app's outbox, stopped
    after the test (on PostgreSQL each holds a connection of its own)."""
    made: list[OutboxRelay] = []

    def make(ctx: AppContext, publisher: FakePublisher, **kwargs: Any) -> OutboxRelay:
        made.append(OutboxRelay("todo", ctx.sessions, ctx.outbox, publisher, **kwargs))
        return made[-1]

    yield make
    for relay in made:
        relay.stop()


def test_publishes_in_commit_order_with_the_task_as_key(
    ctx: AppContext, relay_for: RelayFor
) -> None:
    ids = emit(ctx, "t1", "t2", "t1")
    publisher = FakePublisher()
    assert relay_for(ctx, publisher).publish_batch() == 3
    assert publisher.published == [
        ("task-events", "t1", ids[0]),
        ("task-events", "t2", ids[1]),
        ("task-events", "t1", ids[2]),
    ]
    assert outbox_lag(ctx.sessions, ctx.outbox)["pending"] == 0


def test_a_failure_keeps_the_rest_for_later_in_order(ctx: AppContext, relay_for: RelayFor) -> None:
    ids = emit(ctx, "t1", "t1")
    publisher = FakePublisher()
    publisher.down = True
    relay = relay_for(ctx, publisher)
    with pytest.raises(PublishError):
        relay.publish_batch()
    assert publisher.calls == 1  # stopped at the first failure: nothing overtakes it
    assert outbox_lag(ctx.sessions, ctx.outbox)["pending"] == 2
    publisher.down = False
    assert relay.publish_batch() == 2
    assert [p[2] for p in publisher.published] == ids


class FakeBatchPublisher(FakePublisher):
    """Takes a batch at once; leaves out the positions in `refuse` (once each)."""

    def __init__(self) -> None:
        super().__init__()
        self.refuse: set[int] = set()
        self.seconds = 0.0  # how long the broker takes to acknowledge

    def publish_many(self, items: list[tuple[str, dict[str, Any], str]]) -> set[int]:
        self.calls += 1
        time.sleep(self.seconds)
        refused, self.refuse = self.refuse, set()
        for index, (topic, envelope, key) in enumerate(items):
            if index not in refused:
                self.published.append((topic, key, envelope["id"]))
        return refused


def test_a_batch_left_partly_unpublished_marks_only_what_went_out(
    ctx: AppContext, relay_for: RelayFor
) -> None:
    ids = emit(ctx, "t1", "t2", "t3")
    publisher = FakeBatchPublisher()
    publisher.refuse = {1}
    relay = relay_for(ctx, publisher)
    with pytest.raises(PublishError, match="1 of 3"):
        relay.publish_batch()
    assert outbox_lag(ctx.sessions, ctx.outbox)["pending"] == 1
    assert relay.publish_batch() == 1  # only the one left out goes again
    assert [event_id for _, _, event_id in publisher.published] == [ids[0], ids[2], ids[1]]
    assert outbox_lag(ctx.sessions, ctx.outbox)["pending"] == 0


def test_batches_bound_each_round(ctx: AppContext, relay_for: RelayFor) -> None:
    emit(ctx, *[f"t{i}" for i in range(5)])
    publisher = FakePublisher()
    relay = relay_for(ctx, publisher, batch_size=2)
    assert [relay.publish_batch() for _ in range(4)] == [2, 2, 1, 0]


def test_a_commit_wakes_the_relay_at_once(ctx: AppContext, relay_for: RelayFor) -> None:
    publisher = FakePublisher()
    relay = relay_for(ctx, publisher, poll_seconds=60)
    ctx.on_commit.append(lambda _events: relay.wake())
    relay.start()
    try:
        emit(ctx, "t1")
        assert publisher.event.wait(5)  # woken by the commit: its own poll is every 60 s
    finally:
        relay.stop()


def test_the_loop_backs_off_while_down_and_drains_after(
    ctx: AppContext, relay_for: RelayFor
) -> None:
    publisher = FakePublisher()
    publisher.down = True
    relay = relay_for(ctx, publisher, poll_seconds=0.05, max_backoff_seconds=0.2)
    ctx.on_commit.append(lambda _events: relay.wake())
    emit(ctx, "t1", "t2")
    relay.start()
    try:
        wait_for(lambda: publisher.calls, "three failed rounds", until=lambda n: n >= 3)
        assert publisher.published == []
        publisher.down = False
        assert keys_published(publisher, 2) == ["t1", "t2"]
    finally:
        relay.stop()


def test_a_flushing_writer_publishes_its_events_before_its_unit_of_work_returns(
    ctx: AppContext, relay_for: RelayFor
) -> None:
    publisher = FakePublisher()
    relay = flushed_by_writers(ctx, relay_for(ctx, publisher, poll_seconds=60))  # no loop
    ids = emit(ctx, "t1", "t2")
    assert [event_id for _, _, event_id in publisher.published] == ids
    assert outbox_lag(ctx.sessions, ctx.outbox)["pending"] == 0
    assert not relay.woken  # nothing left for the loop


def test_a_stopped_relay_publishes_nothing_for_a_late_writer(
    ctx: AppContext, relay_for: RelayFor
) -> None:
    publisher = FakePublisher()
    relay = relay_for(ctx, publisher, poll_seconds=60)
    relay.start()
    relay.stop()  # on PostgreSQL, lets go of the lock for good
    ctx.on_commit.append(lambda _events: relay.flush())
    emit(ctx, "t1")
    assert publisher.calls == 0
    assert outbox_lag(ctx.sessions, ctx.outbox)["pending"] == 1  # for the next process


def test_a_flush_that_fails_leaves_the_events_to_the_loop_and_the_commit_stands(
    ctx: AppContext, relay_for: RelayFor
) -> None:
    publisher = FakePublisher()
    publisher.down = True
    relay = flushed_by_writers(
        ctx, relay_for(ctx, publisher, poll_seconds=60, max_backoff_seconds=0.2)
    )
    emit(ctx, "t1")  # no exception reaches the writer
    assert publisher.calls == 1 and relay.woken
    emit(ctx, "t2")  # while the loop backs off, writers leave publishing to it
    assert publisher.calls == 1
    assert outbox_lag(ctx.sessions, ctx.outbox)["pending"] == 2
    publisher.down = False
    relay.start()
    assert keys_published(publisher, 2) == ["t1", "t2"]
    wait_for(lambda: relay.caught_up, "the loop's round to settle")
    emit(ctx, "t3")  # the loop succeeded: writers flush again
    assert [key for _, key, _ in publisher.published] == ["t1", "t2", "t3"]


def test_writers_flushing_at_once_publish_each_event_once_in_commit_order(
    ctx: AppContext, relay_for: RelayFor
) -> None:
    publisher = FakeBatchPublisher()
    publisher.seconds = 0.005  # writers commit while a round is out
    # no loop: writers publish it all
    flushed_by_writers(ctx, relay_for(ctx, publisher, poll_seconds=60))
    keys = ("k0", "k1", "k2")
    committed: dict[str, list[str]] = {key: [] for key in keys}
    # a task's writes take turns (its row lock), others' run at once
    row_locks = {key: threading.Lock() for key in keys}

    def write(n: int) -> None:
        for i in range(10):
            key = keys[(n + i) % 3]
            with row_locks[key]:
                mine = emit(ctx, key)
                committed[key].extend(mine)
            # out before the writer answers: by its own round, or by one that began later
            assert set(mine) <= {event_id for _, _, event_id in list(publisher.published)}

    with ThreadPoolExecutor(8) as pool:
        for done in [pool.submit(write, n) for n in range(8)]:
            done.result()  # a writer's failed assertion fails the test
    published = list(publisher.published)
    assert len(published) == 80  # each once
    assert publisher.calls < 80  # writers that committed together shared rounds
    for key in keys:
        assert [event_id for _, k, event_id in published if k == key] == committed[key]


def test_with_more_than_a_batch_waiting_writers_leave_the_backlog_to_the_loop(
    ctx: AppContext, relay_for: RelayFor
) -> None:
    publisher = FakePublisher()
    relay = relay_for(ctx, publisher, poll_seconds=60, batch_size=2)
    assert relay.publish_batch() == 0
    emit(ctx, "t1", "t2", "t3")  # committed with no writer's flush: a backlog
    ctx.on_commit.append(lambda _events: relay.flush())
    emit(ctx, "t4")  # its round takes a full batch: more waits
    assert [key for _, key, _ in publisher.published] == ["t1", "t2"]
    assert not relay.caught_up and relay.woken
    emit(ctx, "t5")  # the loop's turn: this writer does not publish the backlog
    assert len(publisher.published) == 2
    relay.start()
    assert keys_published(publisher, 5) == ["t1", "t2", "t3", "t4", "t5"]


def test_lag_reports_count_and_age_of_the_oldest(ctx: AppContext) -> None:
    emit(ctx, "t1")
    with ctx.sessions.begin() as session:  # the first event has waited a minute
        session.execute(update(ctx.outbox).values(created_at=utcnow() - timedelta(seconds=60)))
    emit(ctx, "t2")
    lag = outbox_lag(ctx.sessions, ctx.outbox)
    assert lag["pending"] == 2
    assert 60 <= lag["oldest_seconds"] < 3600


def test_published_rows_and_old_dedupe_records_are_pruned(
    ctx: AppContext, relay_for: RelayFor
) -> None:
    from functions.shared.idempotency import claim
    from functions.shared.retention import prune_app_tables

    emit(ctx, "t1", "t2")
    relay_for(ctx, FakePublisher()).publish_batch()
    emit(ctx, "t3")  # still waiting: never pruned
    with ctx.sessions.begin() as session:
        claim(session, ctx.processed, "todo", "old-event")
        claim(session, ctx.processed, "todo", "new-event")
        old = utcnow() - timedelta(days=30)
        session.execute(
            update(ctx.outbox).where(ctx.outbox.published_at.is_not(None)).values(published_at=old)
        )
        session.execute(
            update(ctx.processed)
            .where(ctx.processed.event_id == "old-event")
            .values(processed_at=old)
        )
    assert prune_app_tables(ctx, retention_days=14) == 3
    with ctx.sessions() as session:
        assert session.scalar(select(func.count()).select_from(ctx.outbox)) == 1
        assert session.scalars(select(ctx.processed.event_id)).all() == ["new-event"]


@pytest.fixture
def pg_ctx(fresh_database: str, tmp_path: Path) -> Iterator[AppContext]:
    context = build(Settings(data_dir=tmp_path, database_url=fresh_database))
    yield context
    context.stop()


def test_on_postgresql_a_writer_of_a_replica_that_does_not_lead_leaves_it_to_the_leader(
    pg_ctx: AppContext, relay_for: RelayFor
) -> None:
    leader, standby = FakePublisher(), FakePublisher()
    leading, standing_by = relay_for(pg_ctx, leader), relay_for(pg_ctx, standby)
    assert leading.publish_batch() == 0  # takes the app's lock
    pg_ctx.on_commit.append(lambda _events: standing_by.flush())
    emit(pg_ctx, "t1")
    assert standby.calls == 0 and standing_by.woken  # its loop asks for the lock, or tells
    assert standing_by.notices is None  # only the leader listens
    assert leading.publish_batch() == 1
    assert [key for _, key, _ in leader.published] == ["t1"]


def leader_and_standby(
    pg_ctx: AppContext, relay_for: RelayFor
) -> tuple[FakePublisher, OutboxRelay, OutboxRelay]:
    """Two replicas' relays of one outbox, both running, with an hour between polls: the
    first leads and listens; the writers of `pg_ctx` are the second's."""
    leader = FakePublisher()
    leading = first_round(relay_for(pg_ctx, leader, poll_seconds=3600))
    assert leading.notices is not None
    standing_by = relay_for(pg_ctx, FakePublisher(), poll_seconds=3600)
    pg_ctx.on_commit.append(lambda _events: standing_by.flush())
    for relay in (leading, standing_by):
        relay.start()
    return leader, leading, standing_by


def test_on_postgresql_a_standby_announces_its_writers_events_and_the_leader_publishes_them(
    pg_ctx: AppContext, relay_for: RelayFor
) -> None:
    """Not on the leader's poll: with an hour between polls, only the notice can wake it."""
    leader, _, standing_by = leader_and_standby(pg_ctx, relay_for)
    emit(pg_ctx, "t1")
    assert keys_published(leader, 1) == ["t1"]
    emit(pg_ctx, "t2", "t3")
    emit(pg_ctx, "t4")
    assert keys_published(leader, 4) == ["t1", "t2", "t3", "t4"]
    assert standing_by.notices is None


def test_on_postgresql_the_notice_goes_after_the_writers_commit_not_in_it(
    pg_ctx: AppContext, relay_for: RelayFor
) -> None:
    """A NOTIFY in a transaction takes PostgreSQL's one notify lock at its commit, which
    would put every standby writer's commit in single file."""
    leader, _, _ = leader_and_standby(pg_ctx, relay_for)
    writers: list[str] = []

    @event.listens_for(pg_ctx.engine, "before_cursor_execute")
    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if threading.current_thread() is threading.main_thread():
            writers.append(statement)

    emit(pg_ctx, "t1")
    assert keys_published(leader, 1) == ["t1"]
    event.remove(pg_ctx.engine, "before_cursor_execute", record)
    assert writers and not [s for s in writers if "pg_notify" in s]


def test_on_postgresql_the_leaders_own_writers_announce_nothing(
    pg_ctx: AppContext, relay_for: RelayFor
) -> None:
    leading = flushed_by_writers(pg_ctx, relay_for(pg_ctx, FakePublisher()))
    with statements(pg_ctx.engine) as seen:
        emit(pg_ctx, "t1")
    assert not [s for s in seen if "pg_notify" in s]
    assert leading.notices is not None and leading.notices.listening


def test_on_postgresql_the_leaders_notices_listen_again_after_their_connection_is_cut(
    pg_ctx: AppContext, relay_for: RelayFor
) -> None:
    leader, leading, _ = leader_and_standby(pg_ctx, relay_for)
    notices = leading.notices
    assert notices is not None
    with pg_ctx.engine.connect() as admin:
        cut = text("SELECT pg_terminate_backend(:pid)")
        assert admin.execute(cut, {"pid": notices.backend_pid}).scalar() is True
    wait_for(lambda: notices.reconnects, "the notices to listen again", until=lambda n: n >= 1)
    wait_for(lambda: notices.listening, "listening again")
    emit(pg_ctx, "t1")
    assert keys_published(leader, 1) == ["t1"]


def test_on_postgresql_a_relay_that_stops_leading_stops_listening(
    pg_ctx: AppContext, relay_for: RelayFor
) -> None:
    leading = first_round(relay_for(pg_ctx, FakePublisher()))
    notices = leading.notices
    assert notices is not None
    pid = notices.backend_pid
    leading.stop()
    assert leading.notices is None and not notices.listening
    with pg_ctx.engine.connect() as admin:
        session = text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid")
        wait_for(  # its session ends with its connection: never back to the pool
            lambda: admin.execute(session, {"pid": pid}).scalar(),
            "the listening session to end",
            until=lambda count: count == 0,
        )


def test_on_postgresql_one_relay_of_an_app_publishes_at_a_time(
    pg_ctx: AppContext, relay_for: RelayFor
) -> None:
    publishers = [FakePublisher() for _ in range(3)]
    first, second, third = [relay_for(pg_ctx, p) for p in publishers]
    emit(pg_ctx, "t1")
    assert first.publish_batch() == 1
    emit(pg_ctx, "t2")
    assert second.publish_batch() == 0  # the first holds the app's lock
    assert first.publish_batch() == 1

    first.stop()  # its connection closes and the lock with it
    emit(pg_ctx, "t3")
    assert second.publish_batch() == 1
    assert third.publish_batch() == 0

    # the leader's session ends under it: its next round fails and lets go
    with pg_ctx.engine.connect() as admin:
        admin.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_locks"
                " WHERE locktype = 'advisory' AND pid <> pg_backend_pid()"
            )
        )
    emit(pg_ctx, "t4")
    # PostgreSQL's goodbye is an error message, or, when the socket closes before pg8000
    # reads it, a reset that pg8000 does not wrap
    with pytest.raises((DBAPIError, ConnectionError)):
        second.publish_batch()
    assert third.publish_batch() == 1
    assert second.publish_batch() == 0  # back as a standby

    keys = [[key for _, key, _ in p.published] for p in publishers]
    assert keys == [["t1", "t2"], ["t3"], ["t4"]]
    assert outbox_lag(pg_ctx.sessions, pg_ctx.outbox)["pending"] == 0


def test_a_unit_of_work_stages_its_events_in_one_statement_compiled_once(
    ctx: AppContext,
) -> None:
    """However many events a write stages: one insert holding all its rows (not a statement
    per row, as an executemany would be on pg8000), from SQLAlchemy's compiled cache once it
    was compiled for one row and for several (compiling it cost more than running it)."""
    staged: list[tuple[Any, int]] = []

    def note(_conn: Any, _cursor: Any, statement: str, _params: Any, context: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT") and "outbox" in statement:
            staged.append((context.cache_hit, statement.count("%s") + statement.count("?")))

    emit(ctx, "t0")  # the first of one row compiles it, and the first of several
    emit(ctx, "t0", "t0")
    event.listen(ctx.engine, "before_cursor_execute", note)
    try:
        emit(ctx, "t1")
        emit(ctx, "t1", "t2", "t3")
    finally:
        event.remove(ctx.engine, "before_cursor_execute", note)
    (one_hit, one_row), (three_hit, three_rows) = staged
    assert (one_hit, three_hit) == (CACHE_HIT, CACHE_HIT)
    assert three_rows == 3 * one_row, staged  # the three rows' values in that one statement


def test_on_postgresql_a_round_runs_the_same_statements_whatever_it_publishes(
    pg_ctx: AppContext, relay_for: RelayFor
) -> None:
    """The ids a round marks go as one array: the settling statement's text is the same for
    one row and for three (an expanding IN would be rendered, and parsed, anew)."""
    relay = first_round(relay_for(pg_ctx, FakePublisher()))
    texts = []
    for keys in (("t1",), ("t1", "t2", "t3")):
        emit(pg_ctx, *keys)
        with statements(pg_ctx.engine, this_thread_only=True) as seen:  # not the notices'
            assert relay.publish_batch() == len(keys)
        texts.append(set(seen))
    assert texts[0] == texts[1]
    assert any(s.lstrip().upper().startswith("UPDATE") for s in texts[0]), texts[0]


def test_on_postgresql_a_round_reads_no_row_that_earlier_rounds_settled(
    pg_ctx: AppContext, relay_for: RelayFor
) -> None:
    """A settled row leaves a dead version behind, and its entry in the pending index,
    until a vacuum. A round must not read those again, or its cost grows with every event
    published since the last vacuum (`INDEX_SCANS_ONLY` in functions/shared/relay.py)."""
    with pg_ctx.engine.begin() as conn:  # no vacuum to clean up behind the relay
        conn.execute(text("ALTER TABLE todo.outbox SET (autovacuum_enabled = false)"))
    relay = first_round(relay_for(pg_ctx, FakePublisher()))
    for n in range(20):
        emit(pg_ctx, *(f"task-{n}-{i}" for i in range(50)))
        assert relay.publish_batch() == 50
    assert relay.publish_batch() == 0
    read = relay._read.compile(pg_ctx.engine, compile_kwargs={"literal_binds": True})
    plan = relay._leader_conn.exec_driver_sql(  # the round's read, in the relay's session
        f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {read}"
    ).scalar()[0]["Plan"]
    blocks = plan["Shared Hit Blocks"] + plan["Shared Read Blocks"]
    assert blocks <= 5, json.dumps(plan, indent=1)  # 3 here; 82 with a bitmap scan
