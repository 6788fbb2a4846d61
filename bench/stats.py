"""Summaries of latency samples."""

from __future__ import annotations

import statistics


def summarize_ms(samples_s: list[float]) -> dict[str, float]:
    """p50/p90/p99/max/mean of samples given in seconds, reported in milliseconds."""
    ordered = sorted(samples_s)

    def pick(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 3)

    return {
        "count": len(ordered),
        "p50_ms": pick(0.50),
        "p90_ms": pick(0.90),
        "p99_ms": pick(0.99),
        "max_ms": round(ordered[-1] * 1000, 3),
        "mean_ms": round(statistics.fmean(ordered) * 1000, 3),
    }
