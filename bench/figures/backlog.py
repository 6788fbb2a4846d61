"""A backlog queued while the consumers were down, drained after they start again,
with `GET /api/tasks?limit=20` read closed-loop the whole time."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from bench.figures.consumers import Consumer, Progress, cold_starts, drain_rates
from bench.load.auth import Auth
from bench.load.http import Call, ReadLoop
from bench.result import figure, floor, latency_ratio
from bench.sizes import Sizes
from bench.stats import speed, summarize_ms

READ_PATH = "GET /api/tasks?limit=20 (load process) -> its 200"


def backlog(
    consumers: list[Consumer],
    restart: Callable[[], None],
    read_url: str,
    auth: Auth,
    user: str,
    sizes: Sizes,
    floor_reads: tuple[str, dict[str, Any] | None, str | None],
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(backlog drain figure, reads-during-drain figure). The backlog is queued already."""
    reads = ReadLoop(read_url, auth.headers(user), sizes.read_clients)
    started = time.time()
    with Progress(consumers) as progress:
        reads.start()
        restart()
        progress.finished.wait(sizes.settle_timeout)
    calls = reads.stop()
    drained = drain_rates(consumers, started)
    if drained["slowest_events_per_s"] is None:
        drained["reason"] = "no consumer made measurable progress"
    params = {"backlog": sizes.backlog, "read_clients": sizes.read_clients}
    drain_fig = figure(
        f"Backlog drain: {sizes.backlog} events queued while the consumers were down",
        "consumer (re)start -> its todomesh_events_total reaches the backlog; events/s per"
        " consumer instance from its first handled event to its last",
        drained,
        params=params,
        floor_reason="none measured: no floor app consumes; the goal is absolute (1,000/s)",
    )
    return drain_fig, reads_figure(calls, floor_reads, params)


def reads_figure(
    calls: list[Call], base: tuple[str, dict[str, Any] | None, str | None], params: dict[str, Any]
) -> dict[str, Any]:
    ok = [c.seconds for c in calls if c.status == 200]
    result = summarize_ms(ok)
    if result is not None:
        result["errors"] = len(calls) - len(ok)
    name, base_result, reason = base
    return figure(
        "Reads while the backlog drains",
        READ_PATH,
        result,
        params=params,
        reason="no read was answered",
        floors={"floor": floor(name, base_result, latency_ratio(result, base_result), reason)},
    )


def time_cold_start(
    consumers: list[Consumer], start: Callable[[], Any], timeout: float
) -> tuple[dict[str, Any], Any]:
    """Each consumer has one event waiting; `start()` spawns them (it may block).
    Returns (seconds from spawn to each one's first handled event, what start returned)."""
    started = time.time()
    with Progress(consumers) as progress:
        extra = start()
        progress.finished.wait(timeout)
    return cold_starts(consumers, started)["apps"], extra


def cold_start_figure(
    apps: dict[str, Any], extra: dict[str, Any], base: tuple[str, float | None, str | None]
) -> dict[str, Any]:
    """`base` = (floor name, its process start -> first 2xx in seconds, reason if None)."""
    name, seconds, reason = base
    ratio = {
        app: speed(v["first_event_handled_s"], seconds, lower_is_better=True)
        for app, v in apps.items()
    }
    measured = None if seconds is None else {"first_2xx_s": seconds}
    return figure(
        "Cold start: process start -> first event handled",
        "spawn of the consumer's process(es) -> its first handled event (todomesh_events_total)",
        {"apps": apps} | extra,
        params={"pending_events_per_consumer": 1},
        floors={"floor": floor(name, measured, ratio, reason)},
    )
