"""The hub's open WebSockets, by user: bounded queues, fan-out, and a clean goodbye.

Each connection has its own bounded queue that only its stream thread drains,
so one slow client never holds up the others: when its queue overflows it is
dropped from the fan-out, asked to close, and aborted if it cannot even do that.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

from functions.hub import metrics
from functions.hub.replay import Message

GOING_AWAY = 1001
POLICY_VIOLATION = 1008


class Abortable(Protocol):
    def abort(self) -> None: ...


class Connection:
    """One client's queue of messages and, once asked, the code to close with."""

    def __init__(self, user_id: str, limit: int, socket: Abortable | None = None) -> None:
        self.user_id = user_id
        self.limit = limit
        self.socket = socket
        self.close_code: int | None = None
        self.close_reason = ""
        self.finished = threading.Event()
        self._items: deque[Message] = deque()
        self._ready = threading.Condition()

    def offer(self, message: Message) -> bool:
        """Queue `message`; False when the queue is full (the client is too slow)."""
        with self._ready:
            if self.close_code is not None:
                return True
            if len(self._items) >= self.limit:
                return False
            self._items.append(message)
            self._ready.notify()
            return True

    def take(self, timeout: float) -> Message | None:
        """The next message, or None after `timeout` or once a close is asked."""
        with self._ready:
            self._ready.wait_for(lambda: self._items or self.close_code is not None, timeout)
            if self.close_code is not None or not self._items:
                return None
            return self._items.popleft()

    def request_close(self, code: int, reason: str) -> None:
        with self._ready:
            if self.close_code is None:
                self.close_code, self.close_reason = code, reason
            self._ready.notify_all()

    def abort(self) -> None:
        """Cut the connection when the stream cannot close it (blocked on a dead peer)."""
        if not self.finished.is_set() and self.socket is not None:
            self.socket.abort()


class Connections:
    """Every open connection of this hub process (a replica fans out to its own only)."""

    def __init__(self, queue_size: int, abort_after: float = 5.0) -> None:
        self.queue_size = queue_size
        self.abort_after = abort_after
        self._by_user: dict[str, set[Connection]] = {}
        self._lock = threading.Lock()
        self._closing: tuple[int, str] | None = None

    @contextmanager
    def connect(self, user_id: str, socket: Abortable | None = None) -> Iterator[Connection]:
        """Register a connection for the duration of the block; it gets live messages."""
        conn = Connection(user_id, self.queue_size, socket)
        with self._lock:
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

    def publish(self, message: Message) -> int:
        """Queue `message` for each of its user's connections; return how many took it."""
        with self._lock:
            targets = list(self._by_user.get(message.user_id, ()))
        taken = 0
        for conn in targets:
            if conn.offer(message):
                taken += 1
            elif self._discard(conn):
                self._overflowed(conn)
        return taken

    def _overflowed(self, conn: Connection) -> None:
        metrics.OVERFLOWS.inc()
        conn.request_close(POLICY_VIOLATION, "too slow: send queue overflowed; resume with since")
        timer = threading.Timer(self.abort_after, conn.abort)
        timer.daemon = True
        timer.start()

    def count(self, user_id: str | None = None) -> int:
        with self._lock:
            if user_id is not None:
                return len(self._by_user.get(user_id, ()))
            return sum(len(conns) for conns in self._by_user.values())

    def close_all(
        self, code: int = GOING_AWAY, reason: str = "server shutting down", timeout: float = 0.0
    ) -> int:
        """Ask every connection (and any that opens later) to close with `code`.

        Returns at once, or waits up to `timeout` seconds for the streams to end,
        then aborts those that have not. Safe to call from a signal handler.
        """
        with self._lock:
            self._closing = (code, reason)
            conns = [c for users in self._by_user.values() for c in users]
        for conn in conns:
            conn.request_close(code, reason)
        deadline = time.monotonic() + timeout
        for conn in conns:
            if not conn.finished.wait(max(0.0, deadline - time.monotonic())) and timeout:
                conn.abort()
        return len(conns)
