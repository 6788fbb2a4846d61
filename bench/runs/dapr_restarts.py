"""The Dapr figures that stop and restart apps: cold start (each consumer alone, with one
event waiting), backlog drain with reads, and the hub with many clients.

An app restarts with its sidecar on the same ports, so it keeps its consumer group (the
hub's group is named after its sidecar's port) and resumes at its committed offsets.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import requests

from bench.figures.backlog import backlog, cold_start_figure, time_cold_start
from bench.figures.consumers import COLD, DRAIN, Consumer, Fed, Progress, drain_rates
from bench.figures.hub import ws_receipt
from bench.load.envelopes import copies
from bench.load.http import ReadLoop
from bench.load.kafka import TopicWatcher, produce
from bench.load.procs import Watched, settle, usage
from bench.runs.common import Run
from bench.stats import summarize_ms
from bench.targets.dapr import DaprStack, restart, stop, together

# the whole stack under this share of a core: the topic's other consumers are done
ALONE_QUIET = 0.3


def _queue(stack: DaprStack, watcher: TopicWatcher, fed: Fed, user: str, count: int) -> None:
    items = []
    for topic, kind in sorted({(topic, kind) for _, topic, kind in fed}):
        sample = watcher.samples.get((topic, kind))
        if sample is None:
            raise LookupError(f"no {kind} was seen on {topic} to copy")
        items += copies(sample, topic, user, count)
    produce(stack.kafka.bootstrap, items)


def _consumer(stack: DaprStack, app: str, kind: str, count: int) -> Consumer:
    url = f"{stack.member(app).url}/metrics"
    return Consumer(app, kind, count, lambda: url)


def floor_cold_start(stack: DaprStack) -> tuple[str, float | None, str | None]:
    assert stack.floor is not None and stack.floor_daprd is not None
    stack.floor.stop()
    stack.floor_daprd.stop()
    started = time.time()
    stack.floor_daprd.start()
    stack.floor.start()
    url = f"{stack.floor.url}/items/published"
    answer = requests.post(url, json={"title": "first"}, timeout=30)
    name = "the floor app and its daprd: process start -> its first 2xx insert + publish"
    if answer.status_code >= 300:
        return name, None, f"the floor answered {answer.status_code}"
    return name, round(time.time() - started, 3), None


def cold_start_figures(bench: Run, stack: DaprStack, watcher: TopicWatcher) -> dict[str, Any]:
    base, apps, extra = floor_cold_start(stack), {}, {}
    for app, topic, kind in COLD:
        member = stack.member(app)
        stop(member)
        _queue(stack, watcher, ((app, topic, kind),), bench.user("cold"), 1)
        started = time.time()

        def start(m: Any = member, t: float = started) -> float:
            restart(m)
            return round(time.time() - t, 3)

        timed, ready = time_cold_start(
            [_consumer(stack, app, kind, 1)], start, bench.sizes.receipt_timeout
        )
        apps |= timed
        extra[f"{app}_ready_s"] = ready
    return {"cold_start": cold_start_figure(apps, {"ready_after_s": extra}, base)}


def floor_reads(stack: DaprStack, bench: Run) -> tuple[str, Any, str | None]:
    assert stack.floor is not None
    url = f"{stack.floor.url}/items?limit=20"
    reads = ReadLoop(url, {}, bench.sizes.read_clients)
    reads.start()
    time.sleep(bench.sizes.pipeline_seconds)  # a fixed-length read load
    result = summarize_ms([c.seconds for c in reads.stop() if c.status == 200])
    return "the floor app: GET /items?limit=20 at rest, same clients", result, "no floor read"


def backlog_figures(bench: Run, stack: DaprStack, watcher: TopicWatcher) -> dict[str, Any]:
    """All three consumers down, the backlog queued, then restarted together with reads
    running (the reads figure); then each alone (the drain figure, per instance)."""
    base = floor_reads(stack, bench)
    members = [stack.member(app) for app, _, _ in DRAIN]
    together(*(lambda m=m: stop(m) for m in members))
    _queue(stack, watcher, DRAIN, bench.user("backlog"), bench.sizes.backlog)
    consumers = [_consumer(stack, app, kind, bench.sizes.backlog) for app, _, kind in DRAIN]
    url = f"{stack.member('todo').url}/api/tasks?limit=20"
    drain, reads = backlog(
        consumers,
        lambda: together(*(lambda m=m: restart(m) for m in members)),
        url,
        stack.auth,
        bench.user("w"),
        bench.sizes,
        base,
    )
    if drain["todomesh"] is not None:
        drain["todomesh"] = alone(bench, stack, watcher) | {"together": drain["todomesh"]}
    drain["path"] = (
        "a consumer's (re)start with its app and daprd -> its todomesh_events_total reaches"
        " the backlog; events/s per consumer instance from its first handled event to its"
        " last: each consumer drained alone (`apps`), and all three at once (`together`,"
        " during the reads figure)"
    )
    return {"backlog_drain": drain, "reads_during_drain": reads}


def alone(bench: Run, stack: DaprStack, watcher: TopicWatcher) -> dict[str, Any]:
    """Each consumer stopped with its daprd, the backlog queued on its topic, the others
    (sharing the topic) left to handle their copy first, then it restarts and drains."""
    rates = {}
    for app, topic, kind in DRAIN:
        member = stack.member(app)
        stop(member)
        _queue(
            stack, watcher, ((app, topic, kind),), bench.user(f"alone-{app}"), bench.sizes.backlog
        )
        settled = settle(Watched(stack.pids()), ALONE_QUIET, bench.sizes.settle_timeout)
        consumer = _consumer(stack, app, kind, bench.sizes.backlog)
        started = time.time()
        with Progress([consumer]) as progress:
            restart(member)
            progress.finished.wait(bench.sizes.settle_timeout)
        rate = drain_rates([consumer], started)["apps"][app]
        rate["others_settled_after_s"] = settled  # the stack quiet before it
        if not rate["complete"]:  # a rate over part of the backlog is no drain rate
            rate.update(events_per_s=None, reason="the backlog did not drain before the deadline")
        rates[app] = rate
    measured = [a["events_per_s"] for a in rates.values() if a["events_per_s"] is not None]
    if len(measured) < len(rates):
        reason = "a consumer's drain was not timed (see its reason)"
        return {"apps": rates, "slowest_events_per_s": None, "reason": reason}
    return {"apps": rates, "slowest_events_per_s": min(measured)}


def hub_figure(
    bench: Run, stack: DaprStack, _watcher: TopicWatcher, key: str, clients: int
) -> dict[str, Any]:
    hub, todo = stack.member("hub"), stack.member("todo")
    pid = hub.app.pid or 0
    held = lambda: {k: v for k, v in usage(pid).items() if k != "cpu_s"}  # noqa: E731
    ws = hub.url.replace("http://", "ws://")
    fig = ws_receipt(todo.url, ws, stack.auth, bench.sizes, clients, bench.run_id, held)
    return {key: asyncio.run(fig)}
