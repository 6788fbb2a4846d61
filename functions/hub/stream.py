"""One client's stream: replay after `since`, then live messages, in `seq` order.

`Stream.run` takes any socket with `send(text)` and `close(code, reason)`
coroutines, so tests drive it with fakes; the ASGI endpoint (`functions.hub.ws`)
gives it the real WebSocket. Messages arrive from the fan-out possibly out of
order or twice (concurrent deliveries, other replicas); the stream skips what it
has sent and fills any gap from the durable log, so the client sees each `seq`
once, in order. The log's reads are blocking database calls: they run in a
worker thread, never on the loop.
"""

from __future__ import annotations

import asyncio
from typing import Protocol

from functions.hub import metrics
from functions.hub.connections import Connection
from functions.hub.replay import Head, Message, control

SENT_CHANGE = metrics.SENT.labels("change")
SENT_CONTROL = metrics.SENT.labels("control")


class Socket(Protocol):
    async def send(self, text: str) -> None: ...

    async def close(self, code: int, reason: str) -> None: ...


class LogReader(Protocol):
    def head(self, user_id: str) -> Head: ...

    def after(self, user_id: str, after: int, upto: int) -> list[Message]: ...


class Stream:
    def __init__(
        self, ws: Socket, conn: Connection, replay_log: LogReader, close_timeout: float = 5.0
    ) -> None:
        self.ws, self.conn, self.replay_log = ws, conn, replay_log
        self.close_timeout = close_timeout
        self.user_id = conn.user_id
        self.position = 0
        self._pump: asyncio.Task[None] | None = None  # while it sends what waits

    async def run(self, since: int | None) -> None:
        """Serve until the hub asks this connection to close (the caller cancels the run
        when the client goes away).

        Between messages nothing of this stream waits but the run itself: a message or a
        close request starts a task that sends what waits, in `seq` order, and ends."""
        loop = asyncio.get_running_loop()
        await self._start(since)
        ended: asyncio.Future[None] = loop.create_future()
        self.conn.listen(lambda: self._wake(loop, ended))
        try:
            await ended
        finally:
            self.conn.listen(None)
            if self._pump is not None:
                self._pump.cancel()

    def _wake(self, loop: asyncio.AbstractEventLoop, ended: asyncio.Future[None]) -> None:
        if self._pump is None and not ended.done():
            self._pump = loop.create_task(self._send_waiting(ended))

    async def _send_waiting(self, ended: asyncio.Future[None]) -> None:
        """Send what waits; once a close is asked, close. Fails `ended` if the socket does."""
        try:
            while (message := self.conn.next()) is not None:
                if message.seq <= self.position:
                    continue
                if message.seq > self.position + 1:
                    await self._catch_up(message.seq - 1)
                if message.seq == self.position + 1:
                    await self._send(message)
            if self.conn.close_code is None:
                # nothing waits: the next message starts another task (no await between the
                # last look at the queue and here, so none can arrive unseen)
                self._pump = None
                return
            # A client that does not read cannot take the close frame either: give up on it
            # after `close_timeout`; the server then drops the connection.
            code, reason = self.conn.close_code, self.conn.close_reason
            await asyncio.wait_for(self.ws.close(code, reason), self.close_timeout)
        except Exception as exc:
            if not ended.done():
                ended.set_exception(exc)
            return
        if not ended.done():
            ended.set_result(None)

    async def _start(self, since: int | None) -> None:
        head = await self._head()
        self.position = head.last_seq if since is None else since
        if since is not None and since != head.last_seq:
            if since > head.last_seq:
                await self._resync(f"seq {since} is ahead of this hub's log (last {head.last_seq})")
            elif head.oldest_seq is None or since < head.oldest_seq - 1:
                await self._resync(f"the changes after seq {since} are no longer kept")
            else:
                await self._catch_up(head.last_seq)
        await self.ws.send(control("ready", self.position))
        SENT_CONTROL.inc()

    async def _catch_up(self, target: int) -> None:
        """Send the log's messages after our position up to `target`."""
        while self.position < target:
            page = await asyncio.to_thread(
                self.replay_log.after, self.user_id, self.position, target
            )
            if not page or page[0].seq != self.position + 1:
                await self._resync(f"the changes after seq {self.position} are no longer kept")
                return
            for message in page:
                await self._send(message)

    async def _resync(self, reason: str) -> None:
        since, head = self.position, await self._head()
        self.position = head.last_seq
        await self.ws.send(
            control("resync", head.last_seq, reason=f"{reason}; reload", since=since)
        )
        metrics.RESYNCS.inc()
        SENT_CONTROL.inc()

    async def _send(self, message: Message) -> None:
        await self.ws.send(message.text)
        self.position = message.seq
        SENT_CHANGE.inc()

    async def _head(self) -> Head:
        return await asyncio.to_thread(self.replay_log.head, self.user_id)
