"""The fan-out: per-user delivery, bounded queues, overflow and the shutdown goodbye."""

from __future__ import annotations

import asyncio

from functions.hub.connections import Connections
from functions.hub.replay import Message
from tests.support.hub_stream import arrival
from tests.support.tracker import Tracker


def msg(user: str, seq: int) -> Message:
    return Message(user, seq, f'{{"seq": {seq}}}')


def test_publish_reaches_every_connection_of_the_user_and_no_other() -> None:
    async def scenario() -> None:
        hub = Connections(queue_size=4)
        async with hub.connect("ann") as a1, hub.connect("ann") as a2, hub.connect("bob") as b:
            assert hub.publish_now(msg("ann", 1)) == 2
            assert a1.next() == a2.next() == msg("ann", 1)
            assert b.next() is None
            assert (hub.count(), hub.count("ann"), hub.count("bob")) == (3, 2, 1)
        assert hub.count() == 0
        assert hub.publish_now(msg("ann", 2)) == 0

    asyncio.run(scenario())


def test_a_slow_connection_is_dropped_and_asked_to_close() -> None:
    async def scenario() -> None:
        hub = Connections(queue_size=2)
        async with hub.connect("ann") as slow, hub.connect("ann") as quick:
            for seq in (1, 2, 3):
                hub.publish_now(msg("ann", seq))
                assert quick.next() == msg("ann", seq)
            assert hub.count("ann") == 1
            assert slow.close_code == 1008 and "overflow" in slow.close_reason
            assert slow.next() is None
            assert hub.publish_now(msg("ann", 4)) == 1

    asyncio.run(scenario())


def test_publish_from_another_thread_reaches_the_loop(track: Tracker) -> None:
    async def scenario() -> None:
        hub = Connections(queue_size=4)
        async with hub.connect("ann") as conn:
            track.thread(hub.publish, msg("ann", 1))
            assert await arrival(conn) == msg("ann", 1)

    asyncio.run(scenario())


def test_goodbye_asks_open_and_later_connections_to_go_away() -> None:
    async def scenario() -> None:
        hub = Connections(queue_size=2)
        async with hub.connect("ann") as before:
            assert await hub.goodbye(timeout=0) == 1
            assert before.close_code == 1001
            async with hub.connect("bob") as after:
                assert after.close_code == 1001

    asyncio.run(scenario())


def test_goodbye_waits_for_the_streams_to_end() -> None:
    async def scenario() -> None:
        hub = Connections(queue_size=2)
        ended: list[int | None] = []

        async def stream() -> None:
            async with hub.connect("ann") as conn:
                assert await arrival(conn) is None  # woken by the close request
                ended.append(conn.close_code)

        task = asyncio.ensure_future(stream())

        async def connected() -> None:
            while hub.count() == 0:
                await asyncio.sleep(0)  # let the stream run up to its wait

        await asyncio.wait_for(connected(), 5)
        assert await hub.goodbye(timeout=5) == 1
        assert ended == [1001]
        await task

    asyncio.run(scenario())


def test_close_all_from_another_thread_waits_for_the_loop() -> None:
    async def scenario() -> None:
        hub = Connections(queue_size=2)
        async with hub.connect("ann") as conn:
            asked = await asyncio.to_thread(hub.close_all, 1001, "bye", 0)
            assert asked == 1 and conn.close_code == 1001

    asyncio.run(scenario())
