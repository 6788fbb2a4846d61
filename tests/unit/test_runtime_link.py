"""The wake-ups and the metrics between `todomesh dev`'s two processes (over socket pairs,
here within one process)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, Counter, PlatformCollector, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from functions.runtime import link
from functions.runtime.consumers import sole_instance
from functions.runtime.link import READY, PeerLink
from functions.runtime.metrics import Combined, MetricsAnswer, MetricsQuestion
from tests.support.waiting import wait_for


class Keys:
    def __init__(self) -> None:
        self.seen: list[str] = []
        self.closed = threading.Event()


@pytest.fixture
def links() -> Iterator[tuple[PeerLink, Keys, PeerLink, Keys]]:
    a_sock, b_sock = socket.socketpair()
    a_keys, b_keys = Keys(), Keys()
    a = PeerLink(a_sock, a_keys.seen.append, a_keys.closed.set).start()
    b = PeerLink(b_sock, b_keys.seen.append, b_keys.closed.set).start()
    yield a, a_keys, b, b_keys
    a.close()
    b.close()


def test_keys_cross_both_ways_and_ready_is_said_once(links) -> None:
    a, a_keys, b, b_keys = links
    a.send("audit/audit-task-events")
    b.send("hub/hub-task-updates")
    wait_for(lambda: b_keys.seen, "a key at b", until=lambda s: s == ["audit/audit-task-events"])
    wait_for(lambda: a_keys.seen, "a key at a", until=lambda s: s == ["hub/hub-task-updates"])
    assert not a.ready.is_set()
    b.send(READY)
    assert a.ready.wait(5)
    assert a_keys.seen == ["hub/hub-task-updates"]  # READY is no key


def test_the_other_side_closing_is_seen_and_ends_ready(links) -> None:
    a, a_keys, b, b_keys = links
    b.send(READY)
    assert a.ready.wait(5)
    b.close()
    assert a_keys.closed.wait(5)
    assert not a.ready.is_set()
    assert not b_keys.closed.is_set()  # who closes is not told
    a.send("after the end")  # no error: a hint to no one


def test_a_sender_never_blocks_on_a_peer_that_does_not_read() -> None:
    a_sock, b_sock = socket.socketpair()
    a = PeerLink(a_sock, lambda _key: None).start()
    try:
        for n in range(200_000):  # far more than a socket buffer holds
            a.send(f"key-{n % 7}")  # a waiting key waits once
    finally:
        b_sock.close()
        a.close()


def received(queue: Callable[[PeerLink], None]) -> list[str]:
    """What the other end receives when `queue(link)` sends before the link's sender
    runs (so all in one write), then "end"."""
    a_sock, b_sock = socket.socketpair()
    got: list[str] = []
    arrived = threading.Event()
    b = PeerLink(b_sock, lambda key: (got.append(key), key == "end" and arrived.set())).start()
    a = PeerLink(a_sock, lambda _key: None)
    try:
        queue(a)
        a.send("end")  # not lossy: never dropped
        a.start()
        assert arrived.wait(5)
        return got[:-1]
    finally:
        a.close()
        b.close()


def test_keys_arrive_in_the_order_sent_each_once() -> None:
    def queue(a: PeerLink) -> None:
        for key in ("hub:u:9:{}", "hub:u:10:{}", "audit/x", "hub:u:9:{}"):
            a.send(key)

    assert received(queue) == ["hub:u:9:{}", "hub:u:10:{}", "audit/x"]


def test_a_line_cut_off_by_a_sender_that_died_is_not_read() -> None:
    a_sock, b_sock = socket.socketpair()
    got: list[str] = []
    closed = threading.Event()
    b = PeerLink(b_sock, got.append, on_close=closed.set).start()
    try:
        a_sock.sendall(b'hub:ann:1:{"seq":1}\nhub:ann:2:{"seq":2,"ty')
        a_sock.close()
        assert closed.wait(5)
        assert got == ['hub:ann:1:{"seq":1}']
    finally:
        b.close()


def test_lossy_keys_beyond_the_limit_go_as_one_key_that_says_so(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(link, "MAX_WAITING", 3)

    def queue(a: PeerLink) -> None:
        for n in range(6):
            a.send(f"hub:u:{n}:{{}}", lossy="hub:*")

    assert received(queue) == ["hub:u:0:{}", "hub:u:1:{}", "hub:u:2:{}", "hub:*"]


def test_the_consumer_process_metrics_merge_into_the_servers() -> None:
    theirs = CollectorRegistry()
    Counter("todomesh_demo", "demo", ["app"], registry=theirs).labels("audit").inc(3)
    ours = CollectorRegistry()
    Counter("todomesh_demo", "demo", ["app"], registry=ours).labels("hub").inc()
    asking, answering = socket.socketpair()
    MetricsAnswer(answering, theirs).start()
    question = MetricsQuestion(asking)
    try:
        merged = Combined(question.ask, ours)
        families = list(text_string_to_metric_families(merged().decode()))
    finally:
        question.close()
    [demo] = [f for f in families if f.name == "todomesh_demo"]
    totals = {
        tuple(sorted(s.labels.items())): s.value for s in demo.samples if s.name.endswith("_total")
    }
    assert totals == {(("app", "hub"),): 1.0, (("app", "audit"), ("process", "consumers")): 3.0}
    # each family once, a counter's `_created` samples with it
    assert len({f.name for f in families}) == len(families)
    [created] = [f for f in families if f.name == "todomesh_demo_created"]
    assert len(created.samples) == 2


def test_a_consumer_process_that_cannot_answer_leaves_the_servers_metrics() -> None:
    ours = CollectorRegistry()
    Counter("todomesh_demo", "demo", registry=ours).inc()
    asking, answering = socket.socketpair()
    answering.close()
    question = MetricsQuestion(asking)
    try:
        text = Combined(question.ask, ours)().decode()
    finally:
        question.close()
    assert "todomesh_demo_total 1.0" in text


def test_each_scrape_holds_each_series_once() -> None:
    """A collector that hands out the same families on every collect (`python_info` does)
    keeps them as they were: the merge copies, it never adds to what it was given."""
    theirs, ours = CollectorRegistry(), CollectorRegistry()
    for registry in (theirs, ours):
        PlatformCollector(registry=registry)
        Counter("todomesh_demo", "demo", registry=registry).inc()
    asking, answering = socket.socketpair()
    MetricsAnswer(answering, theirs).start()
    question = MetricsQuestion(asking)
    merged = Combined(question.ask, ours)
    ours_alone = generate_latest(ours)
    try:
        first, *_, last = (merged() for _ in range(3))
    finally:
        question.close()
    assert first == last
    series = [line for line in last.decode().splitlines() if not line.startswith("#")]
    assert len(series) == len(set(series))
    [info] = [f for f in text_string_to_metric_families(last.decode()) if f.name == "python_info"]
    assert [s.labels.get("process") for s in info.samples] == [None, "consumers"]
    assert generate_latest(ours) == ours_alone  # the merges added nothing to ours


def test_one_consumer_process_per_data_directory(tmp_path: Path) -> None:
    second_holds = threading.Event()

    def second() -> None:
        with sole_instance(tmp_path) as held:
            if held:
                second_holds.set()

    with sole_instance(tmp_path) as held:
        assert held
        waiting = threading.Thread(target=second)
        waiting.start()
        assert not second_holds.wait(1)  # it waits for the first to let go
    assert second_holds.wait(5)
    waiting.join(5)


def test_a_consumer_process_gives_up_waiting_when_told(tmp_path: Path) -> None:
    give_up = threading.Event()
    with sole_instance(tmp_path):
        give_up.set()  # its server went away while an old one still held the lock
        with sole_instance(tmp_path, give_up) as held:
            assert not held


def test_a_late_answer_is_never_read_as_the_next_one() -> None:
    asking, answering = socket.socketpair()
    question = MetricsQuestion(asking)
    question.sock.settimeout(0.2)
    try:
        assert question.ask() is None  # no answer in time: the channel is given up,
        assert answering.recv(1) == b"?"
        with pytest.raises(OSError):  # so the late answer has no reader
            answering.sendall(b"\x00\x00\x00\x05late!")
        assert question.ask() is None  # and no later question reads it
    finally:
        question.close()
        answering.close()


def test_an_unreadable_answer_leaves_the_servers_metrics(caplog: pytest.LogCaptureFixture) -> None:
    ours = CollectorRegistry()
    Counter("todomesh_demo", "demo", registry=ours).inc()
    for answer in (b"todomesh_demo_total 3.0\n", b"# HELP \xff\xfe"):
        text = Combined(lambda answer=answer: answer, ours)().decode()
        assert "todomesh_demo_total 1.0" in text
        assert 'process="consumers"' not in text
    assert caplog.text.count("unreadable metrics from the consumer process") == 2
