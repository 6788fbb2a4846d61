"""Child processes for throwaway servers: free ports, polling waits, clean stops."""

from __future__ import annotations

import os
import pwd
import random
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import requests

POLL_SECONDS = 0.1


# Ports handed out come from below Linux's default ephemeral range (32768-60999):
# asking the kernel for port 0 may return the same port twice in a row once the
# probe socket closes, and any outbound connection can take an ephemeral port
# between the probe and the server's bind. Within one process a port is handed
# out again only after the whole range has been.
_PORT_RANGE = range(20000, 32768)
_ports_lock = threading.Lock()
_ports_given: set[int] = set()
_next_port = [random.choice(_PORT_RANGE)]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now and, until the range
    runs out, that this process has not handed out before."""
    with _ports_lock:
        for _ in range(2):
            for _ in range(len(_PORT_RANGE)):
                port = _next_port[0]
                _next_port[0] = port + 1 if port + 1 < _PORT_RANGE.stop else _PORT_RANGE.start
                if port not in _ports_given and _bindable(port):
                    _ports_given.add(port)
                    return port
            _ports_given.clear()  # all handed out: start over, the bind check still holds
    raise RuntimeError(f"no free TCP port in {_PORT_RANGE}")


def _bindable(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def http_ok(url: str) -> bool:
    """Whether `url` answers 2xx right now."""
    try:
        return requests.get(url, timeout=2).status_code < 300
    except requests.RequestException:
        return False


def wait_until(
    check: Callable[[], bool],
    *,
    what: str,
    timeout: float = 60.0,
    process: ManagedProcess | None = None,
) -> None:
    """Poll `check` until it is true; fail early if `process` dies, late at `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        if check():
            return
        if process is not None and not process.alive:
            raise RuntimeError(f"{what}: process exited\n{process.log_tail()}")
        if time.monotonic() > deadline:
            tail = process.log_tail() if process else ""
            raise TimeoutError(f"{what}: not ready after {timeout:.0f}s\n{tail}")
        time.sleep(POLL_SECONDS)


class ManagedProcess:
    """One child process with its output in a log file; restartable."""

    def __init__(
        self,
        argv: Sequence[str],
        *,
        log_file: Path,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
        user: str | None = None,
    ) -> None:
        self.argv = list(argv)
        self.log_file = log_file
        self.env = dict(env) if env is not None else None
        self.cwd = cwd
        self.user = user
        self._popen: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return self._popen.pid if self._popen else None

    @property
    def alive(self) -> bool:
        return self._popen is not None and self._popen.poll() is None

    def start(self) -> None:
        if self.alive:
            raise RuntimeError(f"{self.argv[0]} is already running")
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        with self.log_file.open("ab") as log:
            self._popen = subprocess.Popen(
                self.argv,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=self.env,
                cwd=self.cwd,
                user=self.user,
                group=pwd.getpwnam(self.user).pw_gid if self.user else None,
                extra_groups=[] if self.user else None,
                start_new_session=True,
            )

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30.0) -> None:
        """Send `sig`, wait up to `timeout`, then SIGKILL. No-op when not running."""
        if self._popen is None:
            return
        if self._popen.poll() is None:
            os.kill(self._popen.pid, sig)
            try:
                self._popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self._popen.kill()
                self._popen.wait()
        self._popen = None

    def kill(self) -> None:
        """SIGKILL: a crash, without any shutdown work."""
        self.stop(signal.SIGKILL)

    def log_text(self) -> str:
        if not self.log_file.exists():
            return ""
        return self.log_file.read_text(errors="replace")

    def log_tail(self, lines: int = 40) -> str:
        tail = self.log_text().splitlines()[-lines:]
        return f"--- last lines of {self.log_file}:\n" + "\n".join(tail)
