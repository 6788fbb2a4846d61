"""`todomesh dev`'s second process: the consumer functions, beside the one that serves.

One Python process has one GIL. With every app in it, the deliveries to audit,
recurring, notify and the hub took the interpreter from the API under write load, and
reads waited behind them. So `todomesh dev` serves the web (todo, the hub's WebSockets
and page, the identity provider, and the query halves of audit and notify) in its
gunicorn worker, and runs the consumer halves of audit, recurring and notify and the
hub's recording half, with their dispatchers, relays and workers, in a child process it
supervises (`ConsumerProcess`):

- both keep their state in the same SQLite files (WAL); the durable log `runtime.db`
  is shared, and a `PeerLink` over a socket pair carries the wake-ups across, and the
  hub's hints of what it recorded (`functions.hub.follow`);
- the child's dispatchers run only once it holds `<data-dir>/consumers.lock`, so a
  child left from a server that was killed can never deliver beside a new one;
- the child runs in a session of its own and ignores SIGINT: a Ctrl-C, or a stop signal
  to the server's process group, reaches the server, which stops it in order (SIGTERM
  once the WebSockets were closed, then at most 5 s more). It also stops when the link
  ends, so it never outlives a server that was killed;
- a child that exits on its own is started again, after 1 s, doubling to 30 s.

`python -m functions.runtime.consumers <link fd> <metrics fd>` is the child; it reads
its settings, pickled, from stdin. Its metrics appear in the server's `/metrics`
(`metrics.py`).
"""

from __future__ import annotations

import fcntl
import functools
import logging
import os
import pickle
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import functions
from functions.hub import follow
from functions.runtime.link import READY, PeerLink
from functions.runtime.metrics import MetricsAnswer, MetricsQuestion
from functions.shared import collector
from functions.shared.settings import Settings

log = logging.getLogger(__name__)
CONSUMER_APPS = ("audit", "recurring", "notify", "hub")  # a half that serves, and this one
FIRST_BACKOFF, MAX_BACKOFF = 1.0, 30.0
# A dispatcher finishes its batch, a relay its publish; within gunicorn's graceful
# timeout (server.py), with the server's own loops stopping meanwhile.
STOP_SECONDS = 5.0
LOCK_RETRY_SECONDS = 0.5  # only while an old consumer process still holds the lock


class ConsumerProcess:
    """Starts, watches and stops the child; `send(key)` wakes one of its dispatchers."""

    def __init__(
        self, settings: Settings, resource_dirs: Iterable[Path], app_ids: Iterable[str]
    ) -> None:
        self.settings = settings
        self.resource_dirs = list(resource_dirs)
        self.app_ids = list(app_ids)
        self.on_key: Callable[[str], None] = lambda _key: None  # wakes ours (the platform)
        self.process: subprocess.Popen[bytes] | None = None
        self.link: PeerLink | None = None
        self._metrics: MetricsQuestion | None = None
        self._stopping = threading.Event()
        self._lock = threading.Lock()  # a spawn and a stop never interleave
        self._watcher: threading.Thread | None = None

    @property
    def ready(self) -> bool:
        return self.link is not None and self.link.ready.is_set()

    def send(self, key: str) -> None:
        if self.link is not None:
            self.link.send(key)

    def metrics(self) -> bytes | None:
        """The child's metrics (exposition text), None while it cannot answer."""
        return self._metrics.ask() if self._metrics is not None else None

    def start(self) -> None:
        self._stopping.clear()
        self._watcher = threading.Thread(target=self._watch, name="consumers-watch", daemon=True)
        self._watcher.start()

    def terminate(self) -> None:
        """First step of a stop: ask the child to stop (it finishes what it delivers while
        the server stops its own loops); no restart from here on."""
        with self._lock:
            self._stopping.set()
            if self.process is not None and self.process.poll() is None:
                self.process.terminate()

    def stop(self, timeout: float = STOP_SECONDS) -> None:
        """Wait up to `timeout` for the child to end (then kill it), and close the channels."""
        self.terminate()
        if self.process is not None:
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                log.warning("the consumer process did not stop in time; killing it")
                self.process.kill()
                self.process.wait()
        if self._watcher is not None:
            self._watcher.join(5)
        self._close_channels()

    def _spawn(self) -> subprocess.Popen[bytes] | None:
        """Start a child, unless stopping; None if it could not start."""
        with self._lock:
            if self._stopping.is_set():
                return None
            (ours, theirs), (asking, answering) = socket.socketpair(), socket.socketpair()
            fds = [theirs.fileno(), answering.fileno()]
            env = {**os.environ, "PYTHONPATH": _python_path()}
            argv = [sys.executable, "-m", __name__, *map(str, fds)]
            try:
                with theirs, answering:
                    # its own session: a Ctrl-C to the terminal's process group, or a stop
                    # signal to the server's, reaches the server, which stops it in order
                    process = subprocess.Popen(
                        argv, stdin=subprocess.PIPE, pass_fds=fds, env=env, start_new_session=True
                    )
                assert process.stdin is not None
                with process.stdin:
                    pickle.dump((self.settings, self.resource_dirs, self.app_ids), process.stdin)
            except (OSError, pickle.PicklingError) as exc:
                log.error("the consumer process did not start", extra={"error": str(exc)})
                ours.close()
                asking.close()
                return None
            self._close_channels()
            self.link = PeerLink(ours, self.on_key).start()
            self._metrics = MetricsQuestion(asking)
            self.process = process
        log.info("consumer process started", extra={"pid": process.pid})
        return process

    def _close_channels(self) -> None:
        if self.link is not None:
            self.link.close()
        if self._metrics is not None:
            self._metrics.close()

    def _watch(self) -> None:
        backoff = FIRST_BACKOFF
        while not self._stopping.is_set():
            started = time.monotonic()
            process = self._spawn()
            returncode = process.wait() if process is not None else None
            if self._stopping.is_set():
                return
            if time.monotonic() - started > MAX_BACKOFF:
                backoff = FIRST_BACKOFF  # it ran well for a while: a new fault
            log.error(
                "the consumer process exited; starting it again",
                extra={"returncode": returncode, "in_seconds": backoff},
            )
            if self._stopping.wait(backoff):
                return
            backoff = min(MAX_BACKOFF, backoff * 2)


def _python_path() -> str:
    """The child imports `functions` from where this process did."""
    here = str(Path(functions.__file__).resolve().parent.parent)
    return os.pathsep.join(p for p in (here, os.environ.get("PYTHONPATH")) if p)


@contextmanager
def sole_instance(data_dir: Path, give_up: threading.Event | None = None) -> Iterator[bool]:
    """Hold `<data_dir>/consumers.lock`: one consumer process per data directory. Yields
    True once it holds it, or False if `give_up` was set while it waited (for a consumer
    process that is still stopping). The kernel lets go of it when the holder exits,
    however it exits."""
    data_dir.mkdir(parents=True, exist_ok=True)
    waiting = give_up or threading.Event()
    with open(data_dir / "consumers.lock", "w") as lock:
        while not (held := _try_lock(lock)) and not waiting.wait(LOCK_RETRY_SECONDS):
            pass
        yield held


def _try_lock(lock: IO[str]) -> bool:
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def main(argv: list[str]) -> int:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the server stops us, in order
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    from functions.runtime.platform import CONSUMERS, Platform

    settings, resource_dirs, app_ids = pickle.load(sys.stdin.buffer)
    sock, metrics = (socket.socket(fileno=int(fd)) for fd in argv)
    MetricsAnswer(metrics).start()
    platform: Platform | None = None

    def wake(key: str) -> None:  # before the platform exists, its first read covers it
        if platform is not None:
            platform.runtime.wake(key)

    # the link's end stops us, even while we wait for the lock
    link = PeerLink(sock, wake, on_close=done.set).start()
    with sole_instance(settings.data_dir, done) as held:
        if held:
            platform = Platform(settings, resource_dirs, app_ids, part=CONSUMERS)
            platform.runtime.peer = link.send
            platform.hints = functools.partial(link.send, lossy=follow.EVERYONE)
            platform.start()
            collector.settle()
            link.send(READY)
            done.wait()
            platform.stop()
    link.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
