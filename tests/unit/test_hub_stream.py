"""The per-connection stream with a fake socket and a fake log: order, gaps, replay, resync."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from functions.hub.connections import Connection
from functions.hub.replay import Head, Message
from functions.hub.stream import Stream
from tests.support.tracker import Tracker
from tests.support.waiting import wait_for


class FakeSocket:
    """Records what the stream sends; `stop_after` sends disconnect the client."""

    def __init__(self, stop_after: int | None = None, incoming: list[str] | None = None) -> None:
        self.sent: list[dict[str, Any]] = []
        self.closed: tuple[int | None, str | None] | None = None
        self.stop_after = stop_after
        self.incoming = list(incoming or [])

    @property
    def connected(self) -> bool:
        return self.closed is None and (self.stop_after is None or len(self.sent) < self.stop_after)

    def send(self, data: str) -> None:
        assert self.connected, "sent on a closed socket"
        self.sent.append(json.loads(data))

    def receive(self, timeout: float | None = None) -> Any:
        return self.incoming.pop(0) if self.incoming else None

    def close(self, reason: int | None = None, message: str | None = None) -> None:
        self.closed = (reason, message)

    def seqs(self, kind: str | None = None) -> list[int]:
        return [m["seq"] for m in self.sent if kind is None or m["type"] == kind]


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


class Running:
    """A stream on a thread of `track`'s, which joins it after the test."""

    def __init__(
        self, ws: FakeSocket, conn: Connection, log: FakeLog, since: int | None, track: Tracker
    ) -> None:
        stream = Stream(ws, conn, log, poll_seconds=0.01)
        self.thread = track.thread(stream.run, since)
        self.ws = ws

    def join(self, timeout: float = 5.0) -> None:
        self.thread.join(timeout)
        assert not self.thread.is_alive(), f"stream still running after sending {self.ws.sent}"

    def wait_sent(self, count: int, timeout: float = 5.0) -> None:
        wait_for(
            lambda: list(self.ws.sent),
            f"{count} messages sent",
            until=lambda sent: len(sent) >= count,
            timeout=timeout,
            interval=0.005,
        )


@pytest.fixture
def run(track: Tracker) -> Iterator[Callable[..., Running]]:
    """`run(ws, conn, log, since)` starts a stream; one still running at the end is asked
    to close, so that `track` can join it."""
    connections: list[Connection] = []

    def start(ws: FakeSocket, conn: Connection, log: FakeLog, since: int | None) -> Running:
        connections.append(conn)
        return Running(ws, conn, log, since, track)

    yield start
    for conn in connections:
        conn.request_close(1000, "test over")


def test_replays_after_since_in_pages_then_says_ready(run: Callable[..., Running]) -> None:
    ws, conn = FakeSocket(stop_after=6), Connection("ann", 10)
    run(ws, conn, FakeLog("ann", last=5), since=0).join()
    assert ws.seqs("task.updated") == [1, 2, 3, 4, 5]
    assert ws.sent[-1]["type"] == "ready" and ws.sent[-1]["seq"] == 5


def test_live_messages_skip_duplicates_and_fill_gaps_from_the_log(
    run: Callable[..., Running],
) -> None:
    log = FakeLog("ann", last=2)
    ws, conn = FakeSocket(stop_after=6), Connection("ann", 10)
    running = run(ws, conn, log, since=None)
    running.wait_sent(1)
    log.last = 7
    for seq in (3, 2, 3, 6, 4, 7):  # 2 was sent before; 4 and 5 arrive late or never
        conn.offer(message("ann", seq))
    running.join()
    assert ws.sent[0] == {**ws.sent[0], "type": "ready", "seq": 2}
    assert ws.seqs("task.updated") == [3, 4, 5, 6, 7]
    assert (3, 5) in log.reads


@pytest.mark.parametrize(
    ("since", "last", "oldest", "expected_since"),
    [(1, 10, 5, 1), (12, 10, 1, 12), (3, 10, None, 3)],
    ids=["older-than-retention", "ahead-of-the-log", "everything-aged-out"],
)
def test_resync_when_since_cannot_be_served(
    since: int, last: int, oldest: int | None, expected_since: int, run: Callable[..., Running]
) -> None:
    ws, conn = FakeSocket(stop_after=2), Connection("ann", 10)
    run(ws, conn, FakeLog("ann", last=last, oldest=oldest), since=since).join()
    resync, ready = ws.sent
    assert resync["type"] == "resync" and resync["seq"] == last
    assert resync["payload"]["since"] == expected_since and "reload" in resync["payload"]["reason"]
    assert ready == {**ready, "type": "ready", "seq": last}


def test_oldest_kept_entry_is_enough_to_resume(run: Callable[..., Running]) -> None:
    ws, conn = FakeSocket(stop_after=3), Connection("ann", 10)
    run(ws, conn, FakeLog("ann", last=6, oldest=5), since=4).join()
    assert [m["type"] for m in ws.sent] == ["task.updated", "task.updated", "ready"]


def test_gap_pruned_meanwhile_becomes_a_resync(run: Callable[..., Running]) -> None:
    log = FakeLog("ann", last=1)
    ws, conn = FakeSocket(stop_after=2), Connection("ann", 10)
    running = run(ws, conn, log, since=None)
    running.wait_sent(1)
    log.last, log.oldest = 9, 8
    conn.offer(message("ann", 9))
    running.join()
    assert [m["type"] for m in ws.sent] == ["ready", "resync"]
    assert ws.sent[1]["seq"] == 9


def test_requested_close_is_sent_with_its_code_and_client_messages_are_dropped(
    run: Callable[..., Running],
) -> None:
    ws, conn = FakeSocket(incoming=["hello", "again"]), Connection("ann", 10)
    running = run(ws, conn, FakeLog("ann", last=0), since=None)
    conn.request_close(1001, "server shutting down")
    running.join()
    assert ws.closed == (1001, "server shutting down")
    assert ws.incoming == []


def test_stream_ends_when_the_client_goes_away(run: Callable[..., Running]) -> None:
    ws, conn = FakeSocket(stop_after=1), Connection("ann", 10)
    run(ws, conn, FakeLog("ann", last=0), since=None).join()
    assert ws.closed is None
