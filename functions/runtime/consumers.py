"""`todomesh dev`'s second process: the consumer functions, beside the one that serves.

One Python process has one GIL. With every app in it, the deliveries to audit,
recurring and notify took the interpreter from the API under write load, and reads
waited behind them. So `todomesh dev` serves the web (todo, the hub, the identity
provider, and the query halves of audit and notify) in its gunicorn worker, and runs
the consumer halves of audit, recurring and notify, with their dispatchers, relays and
workers, in a child process it supervises (`ConsumerProcess`):

- both keep their state in the same SQLite files (WAL); the durable log `runtime.db`
  is shared, and a `PeerLink` over a socket pair carries the wake-ups across;
- the child's dispatchers run only once it holds `<data-dir>/consumers.lock`, so a
  child left from a server that was killed can never deliver beside a new one;
- the child ignores Ctrl-C (the terminal signals the whole process group): the server
  stops it in order, with SIGTERM, after the WebSockets were closed. It also stops when
  the link ends, so it never outlives a server that was killed;
- a child that exits on its own is started again, after 1 s, doubling to 30 s.

`python -m functions.runtime.consumers <link fd> <metrics fd>` is the child; it reads
its settings, pickled, from stdin. Its metrics appear in the server's `/metrics`
(`metrics.py`).
"""

from __future__ import annotations

import fcntl
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

import functions
from functions.runtime.link import READY, PeerLink
from functions.runtime.metrics import MetricsAnswer, MetricsQuestion
from functions.shared.settings import Settings

log = logging.getLogger(__name__)
CONSUMER_APPS = ("audit", "recurring", "notify")  # the functions: a query half and this
FIRST_BACKOFF, MAX_BACKOFF = 1.0, 30.0
STOP_SECONDS = 15.0  # a dispatcher finishes its batch, a relay its publish


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
        self.restarts = 0
        self._stopping = threading.Event()
        self._watcher: threading.Thread | None = None

    @property
    def ready(self) -> bool:
        return self.link is not None and self.link.ready.is_set()

    def send(self, key: str) -> None:
        if self.link is not None:
            self.link.send(key)

    def start(self) -> None:
        self._stopping.clear()
        self._spawn()
        self._watcher = threading.Thread(target=self._watch, name="consumers-watch", daemon=True)
        self._watcher.start()

    def stop(self) -> None:
        self._stopping.set()
        process = self.process
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(STOP_SECONDS)
            except subprocess.TimeoutExpired:
                log.warning("the consumer process did not stop in time; killing it")
                process.kill()
                process.wait()
        if self._watcher is not None:
            self._watcher.join(5)
        self._close_channels()

    def metrics(self) -> bytes | None:
        """The child's metrics (exposition text), None while it cannot answer."""
        return self._metrics.ask() if self._metrics is not None else None

    def _spawn(self) -> None:
        (ours, theirs), (asking, answering) = socket.socketpair(), socket.socketpair()
        fds = [theirs.fileno(), answering.fileno()]
        env = {**os.environ, "PYTHONPATH": _python_path()}
        argv = [sys.executable, "-m", __name__, *map(str, fds)]
        with theirs, answering:
            process = subprocess.Popen(argv, stdin=subprocess.PIPE, pass_fds=fds, env=env)
        assert process.stdin is not None
        with process.stdin:
            pickle.dump((self.settings, self.resource_dirs, self.app_ids), process.stdin)
        self._close_channels()
        self.link = PeerLink(ours, self.on_key).start()
        self._metrics = MetricsQuestion(asking)
        self.process = process
        log.info("consumer process started", extra={"pid": process.pid})

    def _close_channels(self) -> None:
        if self.link is not None:
            self.link.close()
        if self._metrics is not None:
            self._metrics.close()

    def _watch(self) -> None:
        backoff = FIRST_BACKOFF
        while self.process is not None:
            started = time.monotonic()
            returncode = self.process.wait()
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
            self.restarts += 1
            self._spawn()


def _python_path() -> str:
    """The child imports `functions` from where this process did."""
    here = str(Path(functions.__file__).resolve().parent.parent)
    return os.pathsep.join(p for p in (here, os.environ.get("PYTHONPATH")) if p)


@contextmanager
def sole_instance(data_dir: Path) -> Iterator[None]:
    """Hold `<data_dir>/consumers.lock` (waiting for it): one consumer process per data
    directory. The kernel lets go of it when the holder exits, however it exits."""
    data_dir.mkdir(parents=True, exist_ok=True)
    with open(data_dir / "consumers.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def main(argv: list[str]) -> int:
    from functions.runtime.platform import CONSUMERS, Platform

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the server stops us, in order
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    settings, resource_dirs, app_ids = pickle.load(sys.stdin.buffer)
    sock, metrics = (socket.socket(fileno=int(fd)) for fd in argv)
    with sole_instance(settings.data_dir):
        MetricsAnswer(metrics).start()
        platform = Platform(settings, resource_dirs, app_ids, part=CONSUMERS)
        link = PeerLink(sock, platform.runtime.wake, on_close=done.set)
        platform.runtime.peer = link.send
        link.start()
        platform.start()
        link.send(READY)
        done.wait()
        platform.stop()
        link.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
