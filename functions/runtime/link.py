"""The wake-ups between `todomesh dev`'s two processes, over a socket pair.

Both processes publish into the same durable log (`runtime.db`); each delivers to its
own apps. A publish that gives work to a subscription of the other process sends that
subscription's key, one line each, and the other side wakes its dispatcher. Such a key
is a hint, never the message: a dispatcher reads what is pending from the log, so a key
lost while the other side restarts loses nothing (its dispatchers read the log when
they start). The hub's keys do carry what it recorded, for the server to push; they go
`lossy`, and one lost costs a client a moment, not a change (`functions.hub.follow`).

Sending never blocks the publisher: keys wait, in order, for a sender thread (a key
waiting once is enough), at most `MAX_WAITING` lossy ones. Both threads block on the
socket or a condition, not on a timer, so an idle link costs nothing. End of file on
the socket means the other process is gone; a last line without its line break, cut
off by a process that died while it sent, is not read.
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)
READY = "!ready"  # the consumer process's dispatchers run: it says so once
MAX_WAITING = 10_000  # keys waiting to be sent, beyond which a lossy one is replaced


class PeerLink:
    def __init__(
        self,
        sock: socket.socket,
        on_key: Callable[[str], None],
        on_close: Callable[[], None] = lambda: None,
    ) -> None:
        self.sock = sock
        self.on_key = on_key
        self.on_close = on_close
        self.ready = threading.Event()  # the other side said READY
        self._waiting: dict[str, None] = {}  # in order, each once
        self._changed = threading.Condition()
        self._closed = False
        self._threads = [
            threading.Thread(target=self._read, name="link-read", daemon=True),
            threading.Thread(target=self._send, name="link-send", daemon=True),
        ]

    def start(self) -> PeerLink:
        for thread in self._threads:
            thread.start()
        return self

    def send(self, key: str, *, lossy: str | None = None) -> None:
        """Have the other side wake `key` (a subscription key, or READY). A `lossy` key
        may be dropped: while `MAX_WAITING` keys wait, the key `lossy` goes instead, to
        tell the other side to recover what it missed from the log."""
        with self._changed:
            if not self._closed:
                if lossy is not None and len(self._waiting) >= MAX_WAITING:
                    key = lossy
                self._waiting[key] = None
                self._changed.notify()

    def close(self) -> None:
        with self._changed:
            self._closed = True
            self._changed.notify()
        try:
            self.sock.shutdown(socket.SHUT_RDWR)  # ends the reader's blocking read
        except OSError:
            pass  # the other side went first
        for thread in self._threads:
            if thread.is_alive() and thread is not threading.current_thread():
                thread.join(5)
        self.sock.close()

    def _send(self) -> None:
        while True:
            with self._changed:
                while not self._waiting and not self._closed:
                    self._changed.wait()
                if self._closed:
                    return
                keys, self._waiting = self._waiting, {}
            try:
                self.sock.sendall("".join(f"{key}\n" for key in keys).encode())
            except OSError:
                return  # the other side is gone: the reader sees it too

    def _read(self) -> None:
        try:
            with self.sock.makefile("r", encoding="utf-8", newline="\n") as lines:
                for line in lines:
                    if not line.endswith("\n"):
                        break  # cut off: its sender died while it sent
                    key = line.removesuffix("\n")
                    if key == READY:
                        self.ready.set()
                    elif key:
                        self.on_key(key)
        except (OSError, ValueError):
            pass  # closed under us
        self.ready.clear()
        with self._changed:
            closed, self._closed = self._closed, True
            self._changed.notify()
        if not closed:
            self.on_close()
