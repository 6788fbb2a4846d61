"""The per-connection stream with a fake socket and a fake log: order, gaps, replay, resync."""

from __future__ import annotations

import asyncio
import gc
import json

import pytest

from functions.hub.connections import Connection
from functions.hub.replay import Head, Message
from functions.hub.stream import Stream
from tests.support.hub_stream import FakeSocket, sent


def message(user: str, seq: int) -> Message:
    body = {
        "seq": seq,
        "event_id": f"e{seq}",
        "type": "task.updated",
        "task_id": "t",
        "payload": {},
        "time": "2026-01-01T00:00:00Z",
    }
    return Message(user, seq, json.dumps(body))


class FakeLog:
    def __init__(self, user: str, last: int, oldest: int | None = 1) -> None:
        self.user = user
        self.last = last
        self.oldest = oldest
        self.reads: list[tuple[int, int]] = []

    def head(self, user_id: str) -> Head:
        return Head(self.last, self.oldest)

    def after(self, user_id: str, after: int, upto: int) -> list[Message]:
        self.reads.append((after, upto))
        start = max(after + 1, self.oldest or self.last + 1)
        return [message(user_id, s) for s in range(start, min(upto, self.last) + 1)][:2]


async def serve(ws: FakeSocket, conn: Connection, log: FakeLog, since: int | None) -> None:
    """Run the stream until it ends or its client is gone (as the endpoint does)."""
    stream = asyncio.ensure_future(Stream(ws, conn, log, close_timeout=1).run(since))
    gone = asyncio.ensure_future(ws.gone.wait())
    await asyncio.wait({stream, gone}, timeout=5, return_when=asyncio.FIRST_COMPLETED)
    assert stream.done() or gone.done(), f"stream still running after sending {ws.sent}"
    for task in (stream, gone):
        task.cancel()
    await asyncio.gather(stream, gone, return_exceptions=True)
    if stream.done() and not stream.cancelled() and stream.exception():
        raise stream.exception()  # type: ignore[misc]


def test_replays_after_since_in_pages_then_says_ready() -> None:
    ws, conn = FakeSocket(stop_after=6), Connection("ann", 10)
    asyncio.run(serve(ws, conn, FakeLog("ann", last=5), since=0))
    assert ws.seqs("task.updated") == [1, 2, 3, 4, 5]
    assert ws.sent[-1]["type"] == "ready" and ws.sent[-1]["seq"] == 5


def test_live_messages_skip_duplicates_and_fill_gaps_from_the_log() -> None:
    log = FakeLog("ann", last=2)
    ws, conn = FakeSocket(stop_after=6), Connection("ann", 10)

    async def scenario() -> None:
        running = asyncio.ensure_future(serve(ws, conn, log, since=None))
        await sent(ws, 1)
        log.last = 7
        for seq in (3, 2, 3, 6, 4, 7):  # 2 was sent before; 4 and 5 arrive late or never
            conn.offer(message("ann", seq))
        await running

    asyncio.run(scenario())
    assert ws.sent[0] == {**ws.sent[0], "type": "ready", "seq": 2}
    assert ws.seqs("task.updated") == [3, 4, 5, 6, 7]
    assert (3, 5) in log.reads


@pytest.mark.parametrize(
    ("since", "last", "oldest", "expected_since"),
    [(1, 10, 5, 1), (12, 10, 1, 12), (3, 10, None, 3)],
    ids=["older-than-retention", "ahead-of-the-log", "everything-aged-out"],
)
def test_resync_when_since_cannot_be_served(
    since: int, last: int, oldest: int | None, expected_since: int
) -> None:
    ws, conn = FakeSocket(stop_after=2), Connection("ann", 10)
    asyncio.run(serve(ws, conn, FakeLog("ann", last=last, oldest=oldest), since=since))
    resync, ready = ws.sent
    assert resync["type"] == "resync" and resync["seq"] == last
    assert resync["payload"]["since"] == expected_since and "reload" in resync["payload"]["reason"]
    assert ready == {**ready, "type": "ready", "seq": last}


def test_oldest_kept_entry_is_enough_to_resume() -> None:
    ws, conn = FakeSocket(stop_after=3), Connection("ann", 10)
    asyncio.run(serve(ws, conn, FakeLog("ann", last=6, oldest=5), since=4))
    assert [m["type"] for m in ws.sent] == ["task.updated", "task.updated", "ready"]


def test_gap_pruned_meanwhile_becomes_a_resync() -> None:
    log = FakeLog("ann", last=1)
    ws, conn = FakeSocket(stop_after=2), Connection("ann", 10)

    async def scenario() -> None:
        running = asyncio.ensure_future(serve(ws, conn, log, since=None))
        await sent(ws, 1)
        log.last, log.oldest = 9, 8
        conn.offer(message("ann", 9))
        await running

    asyncio.run(scenario())
    assert [m["type"] for m in ws.sent] == ["ready", "resync"]
    assert ws.sent[1]["seq"] == 9


def test_a_requested_close_is_sent_with_its_code() -> None:
    ws, conn = FakeSocket(), Connection("ann", 10)

    async def scenario() -> None:
        running = asyncio.ensure_future(serve(ws, conn, FakeLog("ann", last=0), since=None))
        await sent(ws, 1)
        conn.request_close(1001, "server shutting down")
        await running

    asyncio.run(scenario())
    assert ws.closed == (1001, "server shutting down")


def test_a_close_the_client_cannot_take_ends_the_stream_after_the_timeout() -> None:
    class Stuck(FakeSocket):
        async def close(self, code: int, reason: str) -> None:
            await asyncio.Event().wait()  # a client that never reads

    ws, conn = Stuck(), Connection("ann", 10)
    conn.request_close(1008, "too slow")
    with pytest.raises(TimeoutError):
        asyncio.run(Stream(ws, conn, FakeLog("ann", last=0), close_timeout=0.01).run(None))


def test_between_messages_an_idle_stream_waits_on_nothing_made_for_the_last_one() -> None:
    """A wait made anew for each message would stay young until the next one, for the
    garbage collector to walk (`Connection`)."""
    conns = [Connection("ann", 10) for _ in range(50)]
    sockets = [FakeSocket() for _ in conns]

    def waiting() -> list[asyncio.Future[object]]:
        return [o for o in gc.get_objects() if isinstance(o, asyncio.Future) and not o.done()]

    async def scenario() -> None:
        runs = [
            asyncio.ensure_future(Stream(ws, conn, FakeLog("ann", last=0)).run(None))
            for ws, conn in zip(sockets, conns, strict=True)
        ]
        for ws in sockets:
            await sent(ws, 1)  # ready
        before = waiting()  # held, so that no later object can take one of their ids
        for conn in conns:
            conn.offer(message("ann", 1))
        for ws in sockets:
            await sent(ws, 2)
        made = {id(o) for o in waiting()} - {id(o) for o in before}
        for run in runs:
            run.cancel()
        await asyncio.gather(*runs, return_exceptions=True)
        assert not made, f"{len(made)} waits made for the last message"

    asyncio.run(scenario())
    assert [ws.seqs() for ws in sockets] == [[0, 1]] * len(sockets)
