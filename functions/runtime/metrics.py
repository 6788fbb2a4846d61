"""One `/metrics` for both processes of `todomesh dev`.

The consumer process answers a request with its own exposition text, rendered there
with `process="consumers"` on every sample (`MetricsAnswer`), over a socket pair of its
own. The serving process renders its own registry and merges the two texts family by
family (`Combined`), so each family is written once, with both processes' samples, and
no series of one process shadows the other's (their `process_*` metrics included).

Rendered in the consumer process, merged as text: prometheus_client renders in Python,
sample by sample, and the serving process's interpreter is the one that answers the
API. The merge only cuts each text at its `# HELP` lines; both texts come from
`generate_latest`, one program's two processes joined by a socket pair that nothing
else holds.
"""

from __future__ import annotations

import logging
import socket
import struct
import threading
from collections.abc import Callable, Iterable
from typing import Any

from prometheus_client import REGISTRY, generate_latest
from prometheus_client.metrics_core import Metric

log = logging.getLogger(__name__)
LENGTH = struct.Struct("!I")
ASK = b"?"
ANSWER_SECONDS = 5.0
CONSUMERS_LABELS = {"process": "consumers"}


class MetricsAnswer:
    """The consumer process's side: a thread that answers each request with its metrics."""

    def __init__(self, sock: socket.socket, registry: Any = REGISTRY) -> None:
        self.sock = sock
        self.registry = registry
        self._thread = threading.Thread(target=self._answer, name="metrics", daemon=True)

    def start(self) -> MetricsAnswer:
        self._thread.start()
        return self

    def _answer(self) -> None:
        labelled = Labelled(self.registry)
        with self.sock:
            try:
                while self.sock.recv(1) == ASK:
                    text = generate_latest(labelled)
                    self.sock.sendall(LENGTH.pack(len(text)) + text)
            except OSError:
                pass  # the serving process is gone


class Labelled:
    """`registry`'s families with `process="consumers"` on each sample. New families: a
    collector may hand out the same ones on every collect (`python_info` does)."""

    def __init__(self, registry: Any) -> None:
        self.registry = registry

    def collect(self) -> Iterable[Metric]:
        for family in self.registry.collect():
            copy = Metric(family.name, family.documentation, family.type, family.unit)
            copy.samples = [
                s._replace(labels={**s.labels, **CONSUMERS_LABELS}) for s in family.samples
            ]
            yield copy


class MetricsQuestion:
    """The serving process's side: the consumer process's exposition text, or
    None if it cannot answer now (it is starting again, say)."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.sock.settimeout(ANSWER_SECONDS)
        self._lock = threading.Lock()

    def ask(self) -> bytes | None:
        with self._lock:
            if self.sock.fileno() < 0:
                return None
            try:
                self.sock.sendall(ASK)
                (size,) = LENGTH.unpack(self._exactly(LENGTH.size))
                return self._exactly(size)
            except OSError as exc:  # a timeout too: a late answer would be read as the next
                log.warning("no metrics from the consumer process", extra={"error": str(exc)})
                self.sock.close()  # until it is started again
                return None

    def close(self) -> None:
        self.sock.close()

    def _exactly(self, size: int) -> bytes:
        data = bytearray()
        while len(data) < size:
            chunk = self.sock.recv(size - len(data))
            if not chunk:
                raise OSError("the consumer process closed its metrics socket")
            data += chunk
        return bytes(data)


class Combined:
    """`/metrics` of the serving process: `registry` rendered, with `fetch()` (the other
    process's exposition text, or None) merged in family by family."""

    def __init__(self, fetch: Callable[[], bytes | None], registry: Any = REGISTRY) -> None:
        self.fetch = fetch
        self.registry = registry

    def __call__(self) -> bytes:
        ours = generate_latest(self.registry)
        theirs = self.fetch()
        if not theirs:
            return ours
        try:
            return merge(ours.decode(), theirs.decode())
        except ValueError as exc:  # not exposition text (UnicodeDecodeError included)
            log.warning("unreadable metrics from the consumer process", extra={"error": str(exc)})
            return ours


def merge(ours: str, theirs: str) -> bytes:
    """Two texts of `generate_latest` as one: each family once, its samples from `ours`
    then from `theirs`. Raises ValueError if `theirs` does not begin with a family."""
    families = _families(ours)
    for name, lines in _families(theirs).items():
        if name in families:
            families[name].extend(line for line in lines if not line.startswith("#"))
        else:
            families[name] = lines
    return "".join(line for lines in families.values() for line in lines).encode()


def _families(text: str) -> dict[str, list[str]]:
    families: dict[str, list[str]] = {}
    lines: list[str] | None = None
    for line in text.splitlines(keepends=True):
        if line.startswith("# HELP "):
            lines = families.setdefault(line.split(" ", 3)[2], [])
        elif lines is None:
            raise ValueError(f"exposition text that does not begin with # HELP: {line[:80]!r}")
        lines.append(line)
    return families
