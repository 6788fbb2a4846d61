"""Resident memory, CPU time and threads of the processes under test, with psutil.

Each watched entry is a root process and its descendants (a gunicorn master and its
worker count as one app). Figures are sums over those processes.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import psutil


def _tree(pid: int) -> list[psutil.Process]:
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def usage(pid: int) -> dict[str, float]:
    """rss_mb, cpu_s (user + system) and threads of `pid` and its descendants."""
    rss = cpu = threads = 0.0
    for proc in _tree(pid):
        try:
            with proc.oneshot():
                rss += proc.memory_info().rss
                times = proc.cpu_times()
                cpu += times.user + times.system
                threads += proc.num_threads()
        except psutil.NoSuchProcess:
            continue
    return {"rss_mb": round(rss / 2**20, 1), "cpu_s": cpu, "threads": int(threads)}


class Watched:
    """Named root pids, e.g. {"todo": 123, "todo-daprd": 456}."""

    def __init__(self, roots: dict[str, int]) -> None:
        self.roots = dict(roots)

    def snapshot(self) -> dict[str, dict[str, float]]:
        return {name: usage(pid) for name, pid in self.roots.items()}

    def rss(self) -> dict[str, Any]:
        per = {name: u["rss_mb"] for name, u in self.snapshot().items()}
        return {"processes_mb": per, "total_mb": round(sum(per.values()), 1)}

    def cpu_over(self, seconds: float) -> dict[str, Any]:
        """CPU seconds per wall second over `seconds`, per process and in total; threads."""
        before, started = self.snapshot(), time.monotonic()
        time.sleep(seconds)  # measuring an idle interval is the point here
        after, wall = self.snapshot(), time.monotonic() - started
        spent = {name: max(0.0, after[name]["cpu_s"] - before[name]["cpu_s"]) for name in after}
        per = {
            name: {"cpu_fraction": round(spent[name] / wall, 4), "threads": after[name]["threads"]}
            for name in self.roots
        }
        total = round(sum(p["cpu_fraction"] for p in per.values()), 4)
        return {"seconds": round(wall, 1), "total_cpu_fraction": total, "processes": per}

    def busy_fraction(self, seconds: float = 1.0) -> float:
        return float(self.cpu_over(seconds)["total_cpu_fraction"])


class PeakRss:
    """Samples RSS in a thread while a load runs: `with PeakRss(watched) as peak: ...`."""

    def __init__(self, watched: Watched, every: float = 0.5) -> None:
        self.watched, self.every = watched, every
        self.peak: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="peak-rss", daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            for name, mb in self.watched.rss()["processes_mb"].items():
                self.peak[name] = max(self.peak.get(name, 0.0), mb)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def result(self) -> dict[str, Any]:
        return {"processes_mb": self.peak, "total_mb": round(sum(self.peak.values()), 1)}


def settle(watched: Watched, threshold: float, timeout: float) -> float:
    """Wait until the watched processes use under `threshold` of a core for two seconds
    running (the backlog of a previous figure has drained); return the seconds waited."""
    started = time.monotonic()
    quiet = 0
    while quiet < 2 and time.monotonic() - started < timeout:
        quiet = quiet + 1 if watched.busy_fraction(1.0) < threshold else 0
    return round(time.monotonic() - started, 1)
