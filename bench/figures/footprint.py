"""Resident memory (at rest, and the peak under the write load) and CPU at rest.

CPU at rest: user + system CPU seconds of each process (and its children) over a
quiet interval with no client at all, divided by the wall seconds; 0.01 = 1 % of
one core. Measured for todomesh and its floor in the same interval.
"""

from __future__ import annotations

from typing import Any

from bench.load.procs import Watched
from bench.result import figure, floor
from bench.stats import speed


def _part(measured: dict[str, Any], names: list[str]) -> dict[str, Any]:
    per = {n: measured["processes"][n] for n in names}
    total = round(sum(p["cpu_fraction"] for p in per.values()), 4)
    threads = sum(p["threads"] for p in per.values())
    summary = {"seconds": measured["seconds"], "total_cpu_fraction": total, "threads": threads}
    return summary | {"processes": per}


def cpu_at_rest(todomesh: Watched, base: Watched, base_name: str, seconds: float) -> Any:
    both = Watched(todomesh.roots | base.roots)
    measured = both.cpu_over(seconds)
    mine, theirs = _part(measured, list(todomesh.roots)), _part(measured, list(base.roots))
    ratio = {
        "cpu": speed(mine["total_cpu_fraction"], theirs["total_cpu_fraction"], lower_is_better=True)
    }
    return figure(
        "CPU at rest (no client)",
        "CPU seconds / wall seconds of each process and its children, with no client",
        mine,
        params={"seconds": seconds},
        floors={"floor": floor(base_name, theirs, ratio)},
    )


def rss(
    at_rest: dict[str, Any],
    under_load: dict[str, Any],
    base: tuple[str, dict[str, Any], dict[str, Any]],
) -> dict[str, Any]:
    """RSS (MB) per process and in total; `base` = (floor name, at rest, under load)."""
    name, base_rest, base_load = base
    ratio = {
        "at_rest": speed(at_rest["total_mb"], base_rest["total_mb"], lower_is_better=True),
        "under_load": speed(under_load["total_mb"], base_load["total_mb"], lower_is_better=True),
    }
    return figure(
        "Resident memory (RSS)",
        "psutil RSS of each app and sidecar (with their children), at rest after start and"
        " the peak sampled every 0.5 s during the write load",
        {"at_rest": at_rest, "under_load": under_load},
        floors={"floor": floor(name, {"at_rest": base_rest, "under_load": base_load}, ratio)},
    )
