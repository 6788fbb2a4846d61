"""Summaries of samples: nearest-rank percentiles, and the speed ratio against a floor."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from typing import Any


def percentile(ordered: Sequence[float], q: float) -> float:
    """The nearest-rank `q` quantile (0 < q <= 1) of already sorted samples."""
    return ordered[max(0, min(len(ordered) - 1, int(q * len(ordered) + 0.5) - 1))]


def summarize_ms(samples_s: Sequence[float]) -> dict[str, Any] | None:
    """count, p50/p95/p99, mean and max of samples in seconds, reported in milliseconds;
    None when there is no sample (the caller then says why)."""
    if not samples_s:
        return None
    ordered = sorted(samples_s)
    return {
        "count": len(ordered),
        "p50_ms": round(percentile(ordered, 0.50) * 1000, 3),
        "p95_ms": round(percentile(ordered, 0.95) * 1000, 3),
        "p99_ms": round(percentile(ordered, 0.99) * 1000, 3),
        "mean_ms": round(statistics.fmean(ordered) * 1000, 3),
        "max_ms": round(ordered[-1] * 1000, 3),
    }


def speed(todomesh: float | None, floor: float | None, *, lower_is_better: bool) -> float | None:
    """todomesh's speed as a fraction of the floor's: 1.0 is as fast as the floor.

    Throughput divides todomesh by the floor; a latency divides the floor by todomesh,
    so both read the same way (0.25 = a quarter of the floor's speed)."""
    if todomesh is None or floor is None or todomesh <= 0 or floor <= 0:
        return None
    value = floor / todomesh if lower_is_better else todomesh / floor
    return round(value, 3)
