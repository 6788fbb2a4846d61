"""The hub's subscriptions: CloudEvents in, a durable, gapless per-user replay log out."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import deque
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from functions.hub import create_app, follow
from functions.hub.connections import Connections
from functions.hub.models import ProcessedEvent, ReplayEntry
from functions.hub.replay import CLAIM_MARGIN, Message, SqlReplayLog, append_many, prune
from functions.hub.service import Hub
from functions.hub.stream import Stream
from functions.shared.events import Event
from functions.shared.settings import Settings
from functions.shared.wiring import context, provided
from tests.support.harness import Deliverer, statements, statuses_of
from tests.support.hub_stream import FakeSocket, arrival, sent
from tests.support.tracker import Tracker

pytestmark = pytest.mark.functions

CE_JSON = {"Content-Type": "application/cloudevents+json"}


@pytest.fixture
def make_hub(settings: Settings) -> Iterator[Any]:
    apps: list[Flask] = []

    def make(**changes: Any) -> Flask:
        app = create_app(settings.replace(**changes))
        apps.append(app)
        return app

    yield make
    for app in apps:
        context(app).stop()


@pytest.fixture
def hub(make_hub: Any) -> Flask:
    return make_hub()


def deliver(client: FlaskClient, event: Event, topic: str = "task-updates", **extra: Any) -> Any:
    envelope = {**event.to_cloudevent("todo"), "pubsubname": "pubsub-hub", "topic": topic, **extra}
    response = client.post(f"/events/{topic}", data=json.dumps(envelope), headers=CE_JSON)
    return response


def created(user: str = "ann", task: str = "t1", **payload: Any) -> Event:
    return Event("task.created", task, user, {"id": task, "title": "Milk", **payload})


def log_of(app: Flask, user: str) -> list[tuple[int, str, str]]:
    sessions = context(app).sessions
    with sessions() as session:
        rows = session.scalars(
            select(ReplayEntry).where(ReplayEntry.user_id == user).order_by(ReplayEntry.seq)
        )
        return [(r.seq, r.type, r.event_id) for r in rows]


def test_each_event_is_logged_once_with_the_next_seq_of_its_user(hub: Flask) -> None:
    client = hub.test_client()
    first, second, other = created(), Event("task.updated", "t1", "ann", {}), created("bob")
    for event in (first, first, second, other):
        response = deliver(client, event)
        assert response.status_code == 200 and response.get_json() == {"status": "SUCCESS"}
    assert log_of(hub, "ann") == [
        (1, "task.created", first.event_id),
        (2, "task.updated", second.event_id),
    ]
    assert log_of(hub, "bob") == [(1, "task.created", other.event_id)]


def test_the_logged_message_has_the_documented_shape(hub: Flask) -> None:
    event = created(priority="high")
    deliver(hub.test_client(), event)
    (message,) = SqlReplayLog(context(hub).sessions).after("ann", 0, 10)
    assert json.loads(message.text) == {
        "seq": 1,
        "event_id": event.event_id,
        "type": "task.created",
        "task_id": "t1",
        "payload": {"id": "t1", "title": "Milk", "priority": "high"},
        "time": event.timestamp,
    }


def test_concurrent_deliveries_get_consecutive_seqs_without_gaps(
    hub: Flask, track: Tracker
) -> None:
    events = [created(task=f"t{i}") for i in range(40)]

    def worker(chunk: list[Event]) -> None:
        client = hub.test_client()
        for event in chunk:
            assert deliver(client, event).status_code == 200

    for i in range(4):
        track.thread(worker, events[i::4])
    track.join(60)
    logged = log_of(hub, "ann")
    assert [seq for seq, _, _ in logged] == list(range(1, 41))
    assert sorted(e for _, _, e in logged) == sorted(e.event_id for e in events)


def test_replicas_on_one_database_share_the_seq_and_each_fans_out(make_hub: Any) -> None:
    replicas = [make_hub(), make_hub()]
    event = created()
    received: dict[int, list[int]] = {}

    async def both_replicas_deliver() -> None:
        async with (
            provided(Connections, replicas[0]).connect("ann") as c0,
            provided(Connections, replicas[1]).connect("ann") as c1,
        ):
            await asyncio.gather(
                *(asyncio.to_thread(deliver, r.test_client(), event) for r in replicas)
            )
            for index, conn in enumerate((c0, c1)):
                message = await arrival(conn)
                received[index] = [message.seq] if message else []

    asyncio.run(both_replicas_deliver())
    assert received == {0: [1], 1: [1]}
    assert log_of(replicas[0], "ann") == [(1, "task.created", event.event_id)]


def test_retention_keeps_the_newest_entries_by_count(make_hub: Any) -> None:
    hub = make_hub(hub_retention_count=3)
    client = hub.test_client()
    for i in range(5):
        deliver(client, created(task=f"t{i}"))
    assert [seq for seq, _, _ in log_of(hub, "ann")] == [3, 4, 5]
    head = SqlReplayLog(context(hub).sessions).head("ann")
    assert (head.last_seq, head.oldest_seq) == (5, 3)


def bulk(app: Flask, *events: Event) -> list[str]:
    """One bulk delivery of the events to the hub; the status of each entry."""
    deliverer = Deliverer(app.test_client(), "/events/task-updates", "task-updates")
    return statuses_of(deliverer.bulk(*(event.data() for event in events)))


def test_a_batch_numbers_each_users_new_events_in_order_and_keeps_the_newest(
    make_hub: Any,
) -> None:
    hub = make_hub(hub_retention_count=3)
    earlier = created(task="t0")
    deliver(hub.test_client(), earlier)  # logged before the batch, as ann's seq 1
    ann = [created(task=f"t{i}") for i in range(1, 5)]
    bob = [created("bob", task=f"b{i}") for i in range(2)]
    batch = [ann[0], bob[0], earlier, ann[1], ann[2], bob[1], ann[3], ann[0]]
    assert bulk(hub, *batch) == ["SUCCESS"] * len(batch)
    kept = [
        (seq, "task.created", event.event_id) for seq, event in zip((3, 4, 5), ann[1:], strict=True)
    ]
    assert log_of(hub, "ann") == kept  # seqs 2-5 appended, the newest 3 of 1-5 kept
    assert log_of(hub, "bob") == [(i + 1, "task.created", e.event_id) for i, e in enumerate(bob)]


def test_appending_many_numbers_each_users_events_apart_and_an_id_twice_once(
    hub: Flask,
) -> None:
    """`append_many` alone: users number apart, an id twice in a batch gets one seq, and an
    event logged before is refused, not logged twice (in a delivery, the claim of its id
    in the same transaction keeps a redelivery from ever getting here)."""
    sessions = context(hub).sessions
    earlier, ann, bob = created(task="t0"), created(task="t1"), created("bob", task="b1")
    with sessions.begin() as session:
        [before] = append_many(session, [earlier], retention_count=100)
    with sessions.begin() as session:
        messages = append_many(session, [ann, bob, ann], retention_count=100)
    assert [(m.user_id, m.seq) for m in messages] == [("ann", 2), ("bob", 1), ("ann", 2)]
    assert messages[2] == messages[0] and before.seq == 1
    with pytest.raises(IntegrityError), sessions.begin() as session:
        append_many(session, [earlier], retention_count=100)
    assert log_of(hub, "ann") == [
        (1, "task.created", earlier.event_id),
        (2, "task.created", ann.event_id),
    ]
    assert SqlReplayLog(sessions).head("ann").last_seq == 2  # the refused one took no seq
    with sessions.begin() as session:
        assert append_many(session, [], retention_count=100) == []


def test_a_batch_of_40_events_takes_as_many_statements_as_one_of_3(hub: Flask) -> None:
    """One claim, lookup and insert for the whole batch (and per user a lock and a counter
    update), not statements per event."""
    bulk(hub, created(task="warm-up"))  # the user's counter exists
    counts = []
    for size in (3, 40):
        with statements(context(hub).engine) as seen:
            assert (
                bulk(hub, *(created(task=f"{size}-{i}") for i in range(size))) == ["SUCCESS"] * size
            )
        counts.append(len(seen))
    assert counts[0] == counts[1], seen


def test_a_user_is_locked_and_numbered_in_one_statement_and_a_short_log_untrimmed(
    hub: Flask,
) -> None:
    bulk(hub, created(task="warm-up"))
    with statements(context(hub).engine) as seen:
        assert bulk(hub, created(task="a"), created(task="b")) == ["SUCCESS"] * 2
    assert len([s for s in seen if "user_sequences" in s]) == 1  # lock and numbers at once
    assert not [s for s in seen if s.lstrip().upper().startswith("DELETE")], seen


def test_a_long_log_is_trimmed_each_time_it_grows_by_a_tenth_of_the_retention(
    make_hub: Any,
) -> None:
    hub = make_hub(hub_retention_count=20)  # trimmed back to 20 every 2 appends past it
    client, sizes, deletes = hub.test_client(), [], 0
    for i in range(30):
        with statements(context(hub).engine) as seen:
            deliver(client, created(task=f"t{i}"))
        deletes += len([s for s in seen if s.lstrip().upper().startswith("DELETE")])
        sizes.append(len(log_of(hub, "ann")))
    assert sizes[:20] == list(range(1, 21))  # nothing goes before the log is full
    assert set(sizes[20:]) == {20, 21}  # then at least 20 kept, at most a tenth more
    assert deletes == 5  # at seqs 22, 24, ..., 30: not on each of the ten appends past 20
    assert [seq for seq, _, _ in log_of(hub, "ann")] == list(range(11, 31))


def test_retention_by_age_forgets_entries_but_not_the_sequence(hub: Flask) -> None:
    client = hub.test_client()
    first = created()
    deliver(client, first)
    sessions = context(hub).sessions
    assert prune(sessions, max_age_seconds=3600) == 0
    assert prune(sessions, max_age_seconds=-1) == 1
    with sessions() as session:  # the claim outlives its entry by a margin
        assert session.scalar(select(func.count()).select_from(ProcessedEvent)) == 1
    deliver(client, first)  # so a redelivery is a duplicate, not a second seq
    assert log_of(hub, "ann") == []
    margin = CLAIM_MARGIN.total_seconds()
    assert prune(sessions, max_age_seconds=-1 - margin) == 0
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(ProcessedEvent)) == 0
    deliver(client, created(task="t2"))
    log = SqlReplayLog(sessions)
    assert log_of(hub, "ann")[0][0] == 2
    assert (log.head("ann").last_seq, log.head("ann").oldest_seq) == (2, 2)


def test_the_log_survives_a_restart(make_hub: Any) -> None:
    first = make_hub()
    deliver(first.test_client(), created())
    context(first).stop()
    again = make_hub()
    deliver(again.test_client(), created(task="t2"))
    assert [seq for seq, _, _ in log_of(again, "ann")] == [1, 2]


def test_notifications_are_logged_and_other_types_acknowledged_untouched(hub: Flask) -> None:
    client = hub.test_client()
    note = Event("notification.sent", "t1", "ann", {"channel": "email"})
    assert deliver(client, note, topic="notifications").get_json() == {"status": "SUCCESS"}
    due = Event("reminder.due", "t1", "ann", {})
    assert deliver(client, due).get_json() == {"status": "SUCCESS"}
    assert [t for _, t, _ in log_of(hub, "ann")] == ["notification.sent"]


def test_poison_events_are_dropped(hub: Flask) -> None:
    client = hub.test_client()
    bad = {**created().to_cloudevent("todo"), "data": {"event_id": "x"}}
    from_dapr = client.post(
        "/events/task-updates",
        data=json.dumps({**bad, "pubsubname": "pubsub-hub"}),
        headers=CE_JSON,
    )
    assert from_dapr.status_code == 200 and from_dapr.get_json()["status"] == "DROP"
    direct = client.post("/events/task-updates", data=json.dumps(bad), headers=CE_JSON)
    assert direct.status_code == 422
    assert client.post("/events/task-updates", data="nope").status_code == 400
    assert log_of(hub, "ann") == []


def test_the_page_and_its_assets_are_served(hub: Flask) -> None:
    client = hub.test_client()
    page = client.get("/")
    assert page.status_code == 200 and b'src="/static/js/main.js"' in page.data
    page.close()
    for asset in ("/static/js/main.js", "/static/app.css"):
        response = client.get(asset)
        assert response.status_code == 200, asset
        response.close()
    ready = client.get("/ready").get_json()
    assert ready["status"] == "ready" and ready["checks"]["connections"] == {"open": 0}


# `todomesh dev`: the hub's recording half (consumer process) sends each message it
# recorded to the half that holds the clients (server), which pushes it.


@pytest.fixture
def halves(make_hub: Any) -> tuple[Flask, Flask, list[str]]:
    """(recording half, serving half, the hints the recording half sent), one database."""
    recording, serving = make_hub(role="consumer"), make_hub(role="query")
    hints: list[str] = []
    provided(Hub, recording).elsewhere = hints.append
    return recording, serving, hints


def texts(app: Flask, user: str) -> list[tuple[int, str]]:
    """(seq, text) of each message in `user`'s log, as the hub renders them."""
    messages = SqlReplayLog(context(app).readers).after(user, 0, 1_000)
    return [(m.seq, m.text) for m in messages]


async def pushed_to(serving: Flask, hints: list[str], users: dict[str, int]) -> dict[str, Any]:
    """Connect a client of each of `users` to the serving half, follow every hint (and a
    catch-up they asked for), and return the (seq, task) of what each client was pushed,
    `users[user]` messages each."""
    hub, catch_up = provided(Hub, serving), provided(follow.CatchUp, serving)
    async with contextlib.AsyncExitStack() as stack:
        conns = {u: await stack.enter_async_context(hub.connections.connect(u)) for u in users}
        for key in hints:
            follow.follow(key, hub.connections, catch_up)
        if catch_up.woken:
            await asyncio.to_thread(catch_up.step)
        got: dict[str, Any] = {}
        for user, count in users.items():
            messages = [await arrival(conns[user]) for _ in range(count)]
            got[user] = [(m.seq, json.loads(m.text)["task_id"]) for m in messages]
            assert conns[user]._items == deque()  # nothing more than expected
        return got


def test_the_recording_half_hints_each_message_and_the_serving_half_pushes_it(
    halves: tuple[Flask, Flask, list[str]],
) -> None:
    recording, serving, hints = halves
    assert (
        bulk(recording, *[created(task=f"t{i}") for i in range(3)], created("b o:b"))
        == ["SUCCESS"] * 4
    )
    deliver(recording.test_client(), created(task="t3"))
    # a hint per message, after its commit; a user id is encoded so that it cannot break
    # the key, and the message's text (JSON) has no line break to break the link's line
    logged = {Message(u, seq, text) for u in ("ann", "b o:b") for seq, text in texts(recording, u)}
    assert len(hints) == len(logged) == 5
    assert {follow.parse(key) for key in hints} == logged
    assert all("\n" not in key for key in hints)

    got = asyncio.run(pushed_to(serving, hints, {"ann": 4, "b o:b": 1}))
    assert got == {
        "ann": [(1, "t0"), (2, "t1"), (3, "t2"), (4, "t3")],
        "b o:b": [(1, "t1")],
    }


def test_the_serving_half_pushes_a_hint_without_reading_the_log(
    halves: tuple[Flask, Flask, list[str]],
) -> None:
    recording, serving, hints = halves
    bulk(recording, created(task="t0"), created("bob", task="b0"))
    with statements(context(serving).readers.kw["bind"]) as seen:
        got = asyncio.run(pushed_to(serving, hints, {"ann": 1}))
    assert seen == []  # the hint carries the message
    assert got == {"ann": [(1, "t0")]}


def test_everyone_pushes_each_connected_users_latest_in_one_query_per_page_of_users(
    halves: tuple[Flask, Flask, list[str]],
) -> None:
    recording, serving, _ = halves
    bulk(recording, *[created(task=f"t{i}") for i in range(3)], created("bob", task="b0"))
    bulk(recording, created("cy", task="c0"))
    with statements(context(serving).readers.kw["bind"]) as seen:
        got = asyncio.run(pushed_to(serving, [follow.EVERYONE], {"ann": 1, "bob": 1, "dee": 0}))
    assert got == {"ann": [(3, "t2")], "bob": [(1, "b0")], "dee": []}
    assert len([s for s in seen if "replay_log" in s]) == 1
    paged = SqlReplayLog(context(serving).readers, page_size=2)
    with statements(context(serving).readers.kw["bind"]) as seen:
        latest = paged.latest(["ann", "bob", "cy"])
    assert sorted((m.user_id, m.seq) for m in latest) == [("ann", 3), ("bob", 1), ("cy", 1)]
    assert len([s for s in seen if "replay_log" in s]) == 2


def test_after_everyone_a_stream_fills_in_the_changes_whose_hints_were_lost(
    halves: tuple[Flask, Flask, list[str]],
) -> None:
    recording, serving, _ = halves  # no hint is ever followed: all are lost
    deliver(recording.test_client(), created(task="t0"))
    hub, catch_up = provided(Hub, serving), provided(follow.CatchUp, serving)

    async def scenario() -> list[dict[str, Any]]:
        client = FakeSocket()
        async with hub.connections.connect("ann") as conn:
            stream = asyncio.create_task(Stream(client, conn, hub.replay_log).run(since=1))
            await sent(client, 1)  # its `ready`, at seq 1
            await asyncio.to_thread(bulk, recording, created(task="t1"), created(task="t2"))
            follow.follow(follow.EVERYONE, hub.connections, catch_up)
            await asyncio.to_thread(catch_up.step)
            await sent(client, 3)
            conn.request_close(1000, "done")
            await stream
        return client.sent

    received = asyncio.run(asyncio.wait_for(scenario(), 10))
    assert [(m["type"], m["seq"], m["task_id"]) for m in received] == [
        ("ready", 1, None),
        ("task.created", 2, "t1"),
        ("task.created", 3, "t2"),
    ]


def test_the_serving_half_takes_no_deliveries_and_prunes_nothing(
    halves: tuple[Flask, Flask, list[str]],
) -> None:
    _, serving, _ = halves
    assert deliver(serving.test_client(), created()).status_code == 404
    assert log_of(serving, "ann") == []
    workers = [getattr(w, "name", None) for w in context(serving).workers]
    assert workers == ["hub-catch-up"]  # no retention of the log or of the claims
