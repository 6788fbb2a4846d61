"""The fan-out: per-user delivery, bounded queues, overflow and the shutdown goodbye."""

from __future__ import annotations

import threading
import time

from functions.hub.connections import Connection, Connections
from functions.hub.replay import Message
from tests.support.tracker import Tracker


class Socket:
    def __init__(self) -> None:
        self.aborted = threading.Event()

    def abort(self) -> None:
        self.aborted.set()


def msg(user: str, seq: int) -> Message:
    return Message(user, seq, f'{{"seq": {seq}}}')


def test_publish_reaches_every_connection_of_the_user_and_no_other() -> None:
    hub = Connections(queue_size=4)
    with hub.connect("ann") as a1, hub.connect("ann") as a2, hub.connect("bob") as b:
        assert hub.publish(msg("ann", 1)) == 2
        assert a1.take(0) == a2.take(0) == msg("ann", 1)
        assert b.take(0) is None
        assert (hub.count(), hub.count("ann"), hub.count("bob")) == (3, 2, 1)
    assert hub.count() == 0
    assert hub.publish(msg("ann", 2)) == 0


def test_a_slow_connection_is_dropped_asked_to_close_then_aborted() -> None:
    hub = Connections(queue_size=2, abort_after=0.01)
    slow_socket = Socket()
    with hub.connect("ann", slow_socket) as slow, hub.connect("ann") as quick:
        for seq in (1, 2, 3):
            hub.publish(msg("ann", seq))
            assert quick.take(0) == msg("ann", seq)
        assert hub.count("ann") == 1
        assert slow.close_code == 1008 and "overflow" in slow.close_reason
        assert slow.take(0) is None
        assert slow_socket.aborted.wait(5)
        assert hub.publish(msg("ann", 4)) == 1


def test_abort_does_nothing_once_the_stream_has_finished() -> None:
    socket = Socket()
    conn = Connection("ann", 1, socket)
    conn.finished.set()
    conn.abort()
    assert not socket.aborted.is_set()


def test_close_all_asks_open_and_later_connections_to_go_away() -> None:
    hub = Connections(queue_size=2)
    with hub.connect("ann") as before:
        assert hub.close_all() == 1
        assert before.close_code == 1001
        with hub.connect("bob") as after:
            assert after.close_code == 1001


def test_close_all_waits_for_streams_and_aborts_the_stuck_ones() -> None:
    hub = Connections(queue_size=2)
    stuck_socket = Socket()
    with hub.connect("ann", stuck_socket):
        assert hub.close_all(1001, timeout=0.05) == 1
    assert stuck_socket.aborted.is_set()


def test_take_wakes_up_for_a_message_from_another_thread(track: Tracker) -> None:
    conn = Connection("ann", 4)

    def offer_later() -> None:
        time.sleep(0.05)  # take() blocks first: this checks the wake-up, passes either way
        conn.offer(msg("ann", 1))

    track.thread(offer_later)
    assert conn.take(5) == msg("ann", 1)
