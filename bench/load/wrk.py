"""Closed-loop HTTP load with wrk: N connections, each sends its next request when the
last one is answered, for a fixed time. wrk runs as its own process (C, epoll), so
the load costs little CPU next to the servers it measures."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

SCRIPT = Path(__file__).with_name("wrk_report.lua")
MARK = "BENCH_JSON "


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


def run_wrk(
    url: str,
    *,
    connections: int,
    seconds: float,
    headers: dict[str, str],
    method: str = "GET",
    body: dict[str, Any] | None = None,
    threads: int = 2,
) -> dict[str, Any]:
    """Requests per second, error counts and latency percentiles (ms) of one wrk run."""
    if not wrk_available():
        raise RuntimeError("wrk is not installed; run `task infra:build:bench`")
    argv = ["wrk", "-t", str(min(threads, connections)), "-c", str(connections)]
    argv += ["-d", f"{max(1, round(seconds))}s", "--timeout", "10s", "-s", str(SCRIPT)]
    for name, value in headers.items():
        argv += ["-H", f"{name}: {value}"]
    env = {**os.environ, "WRK_METHOD": method, "WRK_BODY": json.dumps(body) if body else ""}
    done = subprocess.run(
        [*argv, url], env=env, capture_output=True, text=True, timeout=seconds + 60
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith(MARK)]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")
    summary = _summary(json.loads(lines[-1][len(MARK) :]))
    failures = sum(summary["errors"].values())
    if failures > 0.01 * max(1, summary["count"]):
        raise RuntimeError(f"wrk: {failures} errors in {summary['count']} requests: {summary}")
    return summary


def _summary(raw: dict[str, Any]) -> dict[str, Any]:
    seconds = raw["duration_us"] / 1e6
    errors = {k: raw[k] for k in raw if k.endswith("_errors") or k == "timeouts"}
    ok = raw["requests"] - raw["status_errors"]
    return {
        "requests_per_s": round(ok / seconds, 1) if seconds else None,
        "count": raw["requests"],
        "p50_ms": raw["p50_us"] / 1000,
        "p95_ms": raw["p95_us"] / 1000,
        "p99_ms": raw["p99_us"] / 1000,
        "mean_ms": round(raw["mean_us"] / 1000, 3),
        "max_ms": raw["max_us"] / 1000,
        "seconds": round(seconds, 2),
        "errors": errors,
    }
