"""A client socket for the hub's `Stream` (`functions.hub.stream`), which takes any
socket with `send` and `close`, a wait for what it was sent, and a wait for what a
connection is given."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from functions.hub.connections import Connection
from functions.hub.replay import Message


class FakeSocket:
    """Records what the stream sends; after `stop_after` sends the client is gone."""

    def __init__(self, stop_after: int | None = None) -> None:
        self.sent: list[dict[str, Any]] = []
        self.closed: tuple[int, str] | None = None
        self.stop_after = stop_after
        self.gone = asyncio.Event()

    async def send(self, text: str) -> None:
        assert self.closed is None and not self.gone.is_set(), "sent on a closed socket"
        self.sent.append(json.loads(text))
        if self.stop_after is not None and len(self.sent) >= self.stop_after:
            self.gone.set()

    async def close(self, code: int, reason: str) -> None:
        self.closed = (code, reason)

    def seqs(self, kind: str | None = None) -> list[int]:
        return [m["seq"] for m in self.sent if kind is None or m["type"] == kind]


async def sent(ws: FakeSocket, count: int, timeout: float = 5.0) -> None:
    """Let the stream run until it has sent `count` messages; fail after `timeout`."""

    async def enough() -> None:
        while len(ws.sent) < count:
            await asyncio.sleep(0)  # let the stream run

    try:
        await asyncio.wait_for(enough(), timeout)
    except TimeoutError:
        message = f"{count} messages sent: not after {timeout:g} s; sent {ws.sent}"
        raise AssertionError(message) from None


async def arrival(conn: Connection, timeout: float = 5.0) -> Message | None:
    """The next message of `conn` once one arrives (as its stream would be woken for it);
    None once a close is asked."""
    here = asyncio.get_running_loop().create_future()
    conn.listen(lambda: here.done() or here.set_result(None))
    try:
        await asyncio.wait_for(here, timeout)
    finally:
        conn.listen(None)
    return conn.next()
