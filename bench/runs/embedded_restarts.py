"""The embedded figures that restart `todomesh dev`: cold start, backlog drain with reads,
and the hub with many clients (a server of its own, sized for them)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import requests

from bench.figures.backlog import backlog, cold_start_figure, time_cold_start
from bench.figures.consumers import COLD, DRAIN, Consumer, Fed
from bench.figures.hub import ws_receipt
from bench.load.envelopes import copies
from bench.load.http import ReadLoop
from bench.load.procs import usage
from bench.runs.common import Run
from bench.stats import summarize_ms
from bench.targets.embedded import BrokerLog, EmbeddedServer
from bench.targets.floor import FloorServer


def _queue(server: EmbeddedServer, fed: Fed, user: str, count: int) -> None:
    """With the server stopped: `count` copies of a real event for each consumer."""
    log, items = BrokerLog(server.data_dir), []
    for topic, event_type in sorted({(topic, kind) for _, topic, kind in fed}):
        items += copies(log.sample(topic, event_type), topic, user, count)
    log.append(items)


def _consumers(server: EmbeddedServer, fed: Fed, count: int) -> list[Consumer]:
    url = f"{server.url}/metrics"
    return [Consumer(app, kind, count, lambda: url) for app, _, kind in fed]


def floor_cold_start(floor: FloorServer, bench: Run) -> tuple[str, float | None, str | None]:
    floor.stop()
    started = time.time()
    floor.start()
    answer = requests.post(f"{floor.url}/items", json={"title": "first"}, timeout=30)
    name = "the floor app: process start -> its first 2xx insert"
    if answer.status_code >= 300:
        return name, None, f"the floor answered {answer.status_code}"
    return name, round(time.time() - started, 3), None


def cold_start_figures(bench: Run, server: EmbeddedServer, floor: FloorServer) -> dict[str, Any]:
    base = floor_cold_start(floor, bench)
    server.stop()
    _queue(server, COLD, bench.user("cold"), 1)

    def start() -> dict[str, Any]:
        return {"process_ready_s": round(server.start(), 3)}

    consumers = _consumers(server, COLD, 1)
    apps, extra = time_cold_start(consumers, start, bench.sizes.receipt_timeout)
    return {"cold_start": cold_start_figure(apps, extra, base)}


def floor_reads(floor: FloorServer, bench: Run) -> tuple[str, Any, str | None]:
    reads = ReadLoop(f"{floor.url}/items?limit=20", {}, bench.sizes.read_clients)
    reads.start()
    time.sleep(bench.sizes.pipeline_seconds)  # a fixed-length read load
    calls = reads.stop()
    result = summarize_ms([c.seconds for c in calls if c.status == 200])
    return "the floor app: GET /items?limit=20 at rest, same clients", result, "no floor read"


def backlog_figures(bench: Run, server: EmbeddedServer, floor: FloorServer) -> dict[str, Any]:
    base = floor_reads(floor, bench)
    server.stop()
    _queue(server, DRAIN, bench.user("backlog"), bench.sizes.backlog)
    url = f"{server.url}/api/tasks?limit=20"
    drain, reads = backlog(
        _consumers(server, DRAIN, bench.sizes.backlog),
        server.start,
        url,
        server.auth,
        bench.user("w"),
        bench.sizes,
        base,
    )
    return {"backlog_drain": drain, "reads_during_drain": reads}


def hub_figure(bench: Run, key: str, clients: int) -> dict[str, Any]:
    home = bench.work / f"hub-{clients}"
    server = EmbeddedServer(home / "data", home / "todomesh.log")  # sockets are on the loop
    server.start()
    try:
        ws = server.url.replace("http://", "ws://")
        held = lambda: {k: v for k, v in usage(server.pid).items() if k != "cpu_s"}  # noqa: E731
        fig = ws_receipt(server.url, ws, server.auth, bench.sizes, clients, bench.run_id, held)
        return {key: asyncio.run(fig)}
    finally:
        server.stop()
