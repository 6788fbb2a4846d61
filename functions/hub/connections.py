"""The hub's open WebSockets, by user: bounded queues, fan-out, and a clean goodbye.

Connections live on the server's event loop: each has its own bounded queue
that only its stream drains, so one slow client never holds up the others.
When a queue overflows its client is dropped from the fan-out and asked to
close. `publish`, `close_all` and `count` may be called from any thread (the
delivery routes run in worker threads); they hop onto the loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections import deque
from collections.abc import AsyncIterator, Callable
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import asynccontextmanager

from functions.hub import metrics
from functions.hub.replay import Message

GOING_AWAY = 1001
POLICY_VIOLATION = 1008


class Connection:
    """One client's queue of messages and, once asked, the code to close with.

    Nothing waits on an idle connection: whoever serves it `listen`s, and is called back
    on the loop when a message or a close request arrives. A wait per connection, made
    anew after each message (two coroutines, a Future and its callback), kept about
    60,000 objects young at 10,000 connections, for each young collection of the garbage
    collector to walk: 85-109 ms pauses under writes (bench/REPORT.md)."""

    def __init__(self, user_id: str, limit: int) -> None:
        self.user_id = user_id
        self.limit = limit
        self.close_code: int | None = None
        self.close_reason = ""
        self._items: deque[Message] = deque()
        self._listener: Callable[[], None] | None = None
        self.finished = asyncio.Event()

    def offer(self, message: Message) -> bool:
        """Queue `message`; False when the queue is full (the client is too slow)."""
        if self.close_code is not None:
            return True
        if len(self._items) >= self.limit:
            return False
        self._items.append(message)
        self._wake()
        return True

    def next(self) -> Message | None:
        """The next message, without waiting; None when none waits or a close is asked."""
        if self.close_code is not None or not self._items:
            return None
        return self._items.popleft()

    def listen(self, listener: Callable[[], None] | None) -> None:
        """Call `listener` (on the loop) whenever a message or a close request arrives, and
        at once if one is already here; None stops it."""
        self._listener = listener
        if self._items or self.close_code is not None:
            self._wake()

    def request_close(self, code: int, reason: str) -> None:
        if self.close_code is None:
            self.close_code, self.close_reason = code, reason
        self._wake()

    def _wake(self) -> None:
        if self._listener is not None:
            self._listener()


class Connections:
    """Every open connection of this hub process (a replica fans out to its own only)."""

    def __init__(self, queue_size: int) -> None:
        self.queue_size = queue_size
        self._by_user: dict[str, set[Connection]] = {}
        self._lock = threading.Lock()
        self._closing: tuple[int, str] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @asynccontextmanager
    async def connect(self, user_id: str) -> AsyncIterator[Connection]:
        """Register a connection for the duration of the block; it gets live messages."""
        conn = Connection(user_id, self.queue_size)
        with self._lock:
            self._loop = asyncio.get_running_loop()
            self._by_user.setdefault(user_id, set()).add(conn)
            closing = self._closing
        metrics.CONNECTIONS.inc()
        if closing is not None:
            conn.request_close(*closing)
        try:
            yield conn
        finally:
            conn.finished.set()
            self._discard(conn)
            metrics.CONNECTIONS.dec()

    def _discard(self, conn: Connection) -> bool:
        with self._lock:
            users = self._by_user.get(conn.user_id)
            if users is None or conn not in users:
                return False
            users.discard(conn)
            if not users:
                del self._by_user[conn.user_id]
            return True

    def publish(self, message: Message) -> None:
        """Queue `message` for each of its user's connections (from any thread)."""
        with self._lock:
            loop = self._loop if message.user_id in self._by_user else None
        if loop is not None:
            with contextlib.suppress(RuntimeError):  # the loop closed with the server
                loop.call_soon_threadsafe(self.publish_now, message)

    def publish_now(self, message: Message) -> int:
        """On the loop: queue `message` for its user's connections; return how many took it."""
        with self._lock:
            targets = list(self._by_user.get(message.user_id, ()))
        taken = 0
        for conn in targets:
            if conn.offer(message):
                taken += 1
            elif self._discard(conn):
                metrics.OVERFLOWS.inc()
                conn.request_close(
                    POLICY_VIOLATION, "too slow: queue overflowed; resume with since"
                )
        return taken

    def users(self) -> list[str]:
        """The users with a connection open."""
        with self._lock:
            return list(self._by_user)

    def count(self, user_id: str | None = None) -> int:
        with self._lock:
            if user_id is not None:
                return len(self._by_user.get(user_id, ()))
            return sum(len(conns) for conns in self._by_user.values())

    def close_all(
        self, code: int = GOING_AWAY, reason: str = "server shutting down", timeout: float = 0.0
    ) -> int:
        """Ask every connection (and any that opens later) to close with `code`. From a
        thread other than the loop's, wait up to `timeout` seconds for the streams to end."""
        with self._lock:
            loop = self._loop
        if loop is None or _running_loop() is loop:  # nothing to wait for, or cannot wait here
            return self._request_closes(code, reason)[0]
        done = asyncio.run_coroutine_threadsafe(self.goodbye(code, reason, timeout), loop)
        with contextlib.suppress(FutureTimeout):
            return done.result(timeout + 5.0)
        return self.count()

    async def goodbye(
        self, code: int = GOING_AWAY, reason: str = "server shutting down", timeout: float = 5.0
    ) -> int:
        """On the loop: ask every connection to close with `code`; wait up to `timeout`
        seconds for their streams to end; return how many were asked."""
        asked, conns = self._request_closes(code, reason)
        waits = [asyncio.ensure_future(conn.finished.wait()) for conn in conns]
        if waits and timeout > 0:
            await asyncio.wait(waits, timeout=timeout)
        for wait in waits:
            wait.cancel()
        return asked

    def _request_closes(self, code: int, reason: str) -> tuple[int, list[Connection]]:
        with self._lock:
            self._closing = (code, reason)
            conns = [c for users in self._by_user.values() for c in users]
        for conn in conns:
            conn.request_close(code, reason)
        return len(conns), conns


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None
