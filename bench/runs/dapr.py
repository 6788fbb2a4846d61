"""`task bench:dapr`: the self-hosted Dapr stack (`todomesh up --dapr`: each app under
gunicorn with its own daprd, Kafka, PostgreSQL, Dapr's scheduler for reminders) against
its floors: the bare Flask app inserting into the same PostgreSQL, the same app also
publishing through its own daprd, pgbench, and Kafka's ProducerPerformance."""

from __future__ import annotations

import asyncio
import time
import uuid
from functools import partial
from pathlib import Path
from typing import Any

from bench import profile
from bench.figures.footprint import cpu_at_rest, rss
from bench.figures.pipeline import audit_figure, audited, create_many, event_figure
from bench.figures.scheduled import recurring_next, reminder_lateness
from bench.figures.writes import writes, wrk_writes
from bench.floor.pgbench import pgbench
from bench.floor.producer import producer_performance
from bench.load.kafka import TopicWatcher, ensure_topics
from bench.load.procs import PeakRss, Watched, settle
from bench.runs.common import Run, say
from bench.runs.dapr_restarts import backlog_figures, cold_start_figures, hub_figure
from bench.stats import summarize_ms
from bench.targets.dapr import DaprStack

FLOOR = "bare Flask + SQLAlchemy, one PostgreSQL insert, same gunicorn config"
FLOOR_DAPR = f"{FLOOR}, then one publish through its own daprd"
PGBENCH = "pgbench, single-row insert script, same clients"
PRODUCER = "Kafka ProducerPerformance, one partition, acks=all, 1 KiB records"
TOPICS = ("task-events", "task-updates", "reminders", "floor-events")


def run(bench: Run, profile_to: Path | None) -> None:
    stack = DaprStack(bench.work)
    try:
        say("starting PostgreSQL, Kafka, the scheduler, 5 apps with their daprd, the floor")
        stack.start()
        stage = Stage(bench, stack, profile_to)
        try:
            steps = [*stage.steps(), *stage.restarts()]
            for keys, what, take in steps:
                bench.measure(keys, what, take)
                stage.settle()
        finally:
            stage.watcher.close()
    finally:
        stack.stop()


class Stage:
    def __init__(self, bench: Run, stack: DaprStack, profile_to: Path | None) -> None:
        self.bench, self.stack, self.profile_to = bench, stack, profile_to
        self.sizes, self.auth = bench.sizes, stack.auth
        self.todo, self.floor = stack.member("todo").url, stack.floor
        assert self.floor is not None
        self.watcher = TopicWatcher(stack.kafka.bootstrap, TOPICS)
        self.mine, self.theirs = Watched(stack.pids()), Watched(stack.floor_pids())
        self.rest = {"todomesh": self.mine.rss(), "floor": self.theirs.rss()}
        self.quiet = 0.2

    def steps(self) -> list[Any]:
        return [
            (["cpu_at_rest"], "no client", self.cpu_at_rest),
            (["writes", "rss"], "wrk, pgbench, ProducerPerformance", self.writes),
            (["request_to_event", "request_to_audit"], "asyncio, closed loop", self.pipeline),
            (["recurring_next"], "one completion at a time", self.recurring),
            (["reminder_lateness"], "Jobs API, all due in the same second", self.reminders),
        ]

    def restarts(self) -> list[Any]:
        context = (self.bench, self.stack, self.watcher)
        hubs = (("ws_receipt_1k", self.sizes.hub_small), ("ws_receipt_10k", self.sizes.hub_large))
        return [
            (
                ["cold_start"],
                "each consumer restarted alone",
                partial(cold_start_figures, *context),
            ),
            (
                ["backlog_drain", "reads_during_drain"],
                "restarted",
                partial(backlog_figures, *context),
            ),
            *(([k], f"{n} clients", partial(hub_figure, *context, k, n)) for k, n in hubs),
        ]

    def settle(self) -> None:
        waited = settle(Watched(self.stack.pids()), self.quiet, self.sizes.settle_timeout)
        say(f"settled after {waited}s (under {self.quiet:.2f} of a core)")

    def cpu_at_rest(self) -> dict[str, Any]:
        fig = cpu_at_rest(self.mine, self.theirs, FLOOR_DAPR, self.sizes.rest_seconds)
        self.quiet = (fig["todomesh"] or {}).get("total_cpu_fraction", 0.1) + 0.1
        return {"cpu_at_rest": fig}

    def writes(self) -> dict[str, Any]:
        body, peak, sizes, pg = {"title": "bench write"}, {}, self.sizes, self.stack.postgres
        floor_url = self.floor.url

        def with_daprd() -> dict[str, Any]:
            with PeakRss(self.theirs) as sampled:
                result = wrk_writes(f"{floor_url}/items/published", self.auth, sizes, "w", body)()
            peak.update(sampled.result())
            return result

        floors = {
            "flask_pg": (FLOOR, wrk_writes(f"{floor_url}/items", self.auth, sizes, "w", body)),
            "flask_pg_daprd": (FLOOR_DAPR, with_daprd),
            "pgbench": (PGBENCH, partial(pgbench, pg, sizes.write_clients, sizes.write_seconds)),
            "kafka_producer": (PRODUCER, partial(self.producer, sizes.producer_records)),
        }
        url, user = f"{self.todo}/api/tasks", self.bench.user("w")
        fig, mine_peak = writes(
            wrk_writes(url, self.auth, sizes, user, body),
            floors,
            sizes=sizes,
            watched=self.mine,
            params={"server": self.stack.settings.describe(), "per": "one todo process"},
        )
        producer = fig["floors"]["kafka_producer"]
        if producer["ratio"]:  # its latencies are a batching producer's queueing, not a write's
            producer["ratio"] = {"throughput": producer["ratio"]["throughput"]}
        if self.profile_to:
            self.profile(url)
        base = (FLOOR_DAPR, self.rest["floor"], peak or self.rest["floor"])
        return {"writes": fig, "rss": rss(self.rest["todomesh"], mine_peak, base)}

    def producer(self, records: int) -> dict[str, Any]:
        topic = f"bench-producer-{uuid.uuid4().hex[:8]}"
        ensure_topics(self.stack.kafka.bootstrap, [topic], partitions=1)
        return producer_performance(self.stack.kafka.bootstrap, topic, records, 1024)

    def profile(self, url: str) -> None:
        assert self.profile_to is not None
        self.settle()
        pid = self.stack.member("todo").app.pid or 0
        recorder = profile.start(pid, self.profile_to, self.sizes.write_seconds)
        time.sleep(1.0)  # py-spy attaches before the load starts
        wrk_writes(url, self.auth, self.sizes, self.bench.user("p"), {"title": "profiled"})()
        self.bench.extra["profile"] = {"write_load": profile.finish(recorder, self.profile_to)}

    def pipeline(self) -> dict[str, Any]:
        user, sizes = self.bench.user("e"), self.sizes
        load = (sizes.pipeline_clients, sizes.pipeline_seconds)
        made = asyncio.run(create_many(f"{self.todo}/api/tasks", self.auth, user, *load))
        floor_url = f"{self.floor.url}/items/published"
        theirs = asyncio.run(create_many(floor_url, self.auth, user, *load))
        arrived = self._arrivals("floor-events", [t for t, _ in theirs])
        base_result = summarize_ms([arrived[t] - c.started for t, c in theirs if t in arrived])
        base = (f"{FLOOR_DAPR}: request -> its event on Kafka", base_result, "no floor event")
        params = {"clients": load[0], "seconds": load[1]}
        where = "a Kafka consumer in the load process"
        events = lambda ids: self._arrivals("task-events", ids)  # noqa: E731
        audit = self.stack.member("audit").url
        ids = {t for t, _ in made}
        recorded = asyncio.run(audited(audit, self.auth, user, ids, sizes.receipt_timeout))
        return {
            "request_to_event": event_figure(made, events, base, params, where),
            "request_to_audit": audit_figure(made, recorded, base, params),
        }

    def _arrivals(self, topic: str, ids: list[str]) -> dict[str, float]:
        deadline = time.monotonic() + self.sizes.receipt_timeout
        while time.monotonic() < deadline:
            if all(self.watcher.arrival(topic, i) for i in ids):
                break
            time.sleep(0.2)
        return {i: at for i in ids if (at := self.watcher.arrival(topic, i)) is not None}

    def recurring(self) -> dict[str, Any]:
        hub = self.stack.member("hub").url.replace("http://", "ws://")
        fig = recurring_next(self.todo, hub, self.auth, self.sizes, self.bench.user("r"))
        return {"recurring_next": asyncio.run(fig)}

    def reminders(self) -> dict[str, Any]:
        hub = self.stack.member("hub").url.replace("http://", "ws://")
        user = self.bench.user("m")
        fig = reminder_lateness(self.todo, hub, self.auth, self.sizes, user, "jobs")
        return {"reminder_lateness": asyncio.run(fig)}
