"""One client's stream: replay after `since`, then live messages, in `seq` order.

`Stream.run` takes any ws-like object (`send`, `receive`, `close`, `connected`),
so tests drive it with fakes; `SimpleSocket` adapts flask-sock's connection.
Only the stream's own thread sends, and every send holds the socket's lock.
Messages arrive from the fan-out possibly out of order or twice (concurrent
deliveries, other replicas); the stream skips what it has sent and fills any
gap from the durable log, so the client sees each `seq` once, in order.
"""

from __future__ import annotations

import socket
import threading
from typing import Any, Protocol

from functions.hub import metrics
from functions.hub.connections import Connection
from functions.hub.replay import Head, Message, control

SENT_CHANGE = metrics.SENT.labels("change")
SENT_CONTROL = metrics.SENT.labels("control")


class WebSocketLike(Protocol):
    @property
    def connected(self) -> bool: ...

    def send(self, data: str) -> None: ...

    def receive(self, timeout: float | None = None) -> Any: ...

    def close(self, reason: int | None = None, message: str | None = None) -> None: ...


class LogReader(Protocol):
    def head(self, user_id: str) -> Head: ...

    def after(self, user_id: str, after: int, upto: int) -> list[Message]: ...


class Stream:
    def __init__(
        self,
        ws: WebSocketLike,
        conn: Connection,
        replay_log: LogReader,
        poll_seconds: float = 1.0,
    ) -> None:
        self.ws, self.conn, self.replay_log = ws, conn, replay_log
        self.poll_seconds = poll_seconds
        self.user_id = conn.user_id
        self.position = 0

    def run(self, since: int | None) -> None:
        """Serve until the client goes away or the hub asks this connection to close."""
        self._start(since)
        while self.ws.connected:
            message = self.conn.take(self.poll_seconds)
            self._ignore_incoming()
            if self.conn.close_code is not None:
                self.ws.close(self.conn.close_code, self.conn.close_reason)
                return
            if message is None or message.seq <= self.position:
                continue
            if message.seq > self.position + 1:
                self._catch_up(message.seq - 1)
            if message.seq == self.position + 1:
                self._send(message)

    def _start(self, since: int | None) -> None:
        head = self.replay_log.head(self.user_id)
        self.position = head.last_seq if since is None else since
        if since is not None and since != head.last_seq:
            if since > head.last_seq:
                self._resync(f"seq {since} is ahead of this hub's log (last {head.last_seq})")
            elif head.oldest_seq is None or since < head.oldest_seq - 1:
                self._resync(f"the changes after seq {since} are no longer kept")
            else:
                self._catch_up(head.last_seq)
        self.ws.send(control("ready", self.position))
        SENT_CONTROL.inc()

    def _catch_up(self, target: int) -> None:
        """Send the log's messages after our position up to `target`."""
        while self.position < target:
            page = self.replay_log.after(self.user_id, self.position, target)
            if not page or page[0].seq != self.position + 1:
                self._resync(f"the changes after seq {self.position} are no longer kept")
                return
            for message in page:
                self._send(message)

    def _resync(self, reason: str) -> None:
        since, head = self.position, self.replay_log.head(self.user_id)
        self.position = head.last_seq
        self.ws.send(control("resync", head.last_seq, reason=f"{reason}; reload", since=since))
        metrics.RESYNCS.inc()
        SENT_CONTROL.inc()

    def _send(self, message: Message) -> None:
        self.ws.send(message.text)
        self.position = message.seq
        SENT_CHANGE.inc()

    def _ignore_incoming(self) -> None:
        """Clients have nothing to say yet; drop whatever they send so it cannot pile up."""
        while self.ws.connected and self.ws.receive(timeout=0) is not None:
            pass


class ReaderThread(threading.Thread):
    """simple-websocket's per-connection reader, as a daemon: after the hub closes a
    connection it may wait a ping interval for the peer's reply, and must not hold up
    the process's exit meanwhile."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, daemon=True, **kwargs)


class SimpleSocket:
    """flask-sock's (simple-websocket's) connection, with sends and closes serialised."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self._lock = threading.Lock()

    @property
    def connected(self) -> bool:
        return bool(self.ws.connected)

    def send(self, data: str) -> None:
        with self._lock:
            self.ws.send(data)

    def receive(self, timeout: float | None = None) -> Any:
        return self.ws.receive(timeout=timeout)

    def close(self, reason: int | None = None, message: str | None = None) -> None:
        with self._lock:
            if self.ws.connected:
                self.ws.close(reason=reason, message=message)

    def abort(self) -> None:
        """Shut the TCP connection down under a blocked send; the stream then ends."""
        try:
            self.ws.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
