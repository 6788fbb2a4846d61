"""`task bench`: `todomesh dev` (the embedded platform, one process) against the floor, a
bare Flask + SQLAlchemy app with one SQLite insert per request under the same gunicorn
settings, both started fresh by this run and driven from this (separate) process."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

from bench import profile
from bench.figures.footprint import cpu_at_rest, rss
from bench.figures.pipeline import audit_figure, audited, create_many, event_figure
from bench.figures.scheduled import recurring_next, reminder_lateness
from bench.figures.writes import writes, wrk_writes
from bench.load.procs import PeakRss, Watched, settle
from bench.runs.common import Run, say
from bench.runs.embedded_restarts import backlog_figures, cold_start_figures, hub_figure
from bench.stats import summarize_ms
from bench.targets.embedded import BrokerLog, EmbeddedServer
from bench.targets.floor import FloorServer

FLOOR = "bare Flask + SQLAlchemy, one SQLite insert (WAL, todomesh's pragmas), same gunicorn"
Step = tuple[list[str], str, Callable[[], dict[str, Any]]]


@contextmanager
def running(*servers: Any) -> Iterator[None]:
    try:
        for server in servers:
            server.start()
        yield
    finally:
        for server in reversed(servers):
            server.stop()


def run(bench: Run, profile_to: Path | None) -> None:
    server = EmbeddedServer(bench.work / "data", bench.work / "todomesh.log")
    floor_db = f"sqlite:///{bench.work / 'floor.db'}"
    floor = FloorServer(floor_db, server.settings, bench.work / "floor.log")
    with running(server, floor):
        stage = Stage(bench, server, floor, profile_to)
        for keys, what, take in stage.steps():
            bench.measure(keys, what, take)
            stage.settle()
    for key, clients in (
        ("ws_receipt_1k", bench.sizes.hub_small),
        ("ws_receipt_10k", bench.sizes.hub_large),
    ):
        bench.measure([key], f"{clients} clients", partial(hub_figure, bench, key, clients))


class Stage:
    def __init__(
        self, bench: Run, server: EmbeddedServer, floor: FloorServer, profile_to: Path | None
    ) -> None:
        self.bench, self.server, self.floor, self.profile_to = bench, server, floor, profile_to
        self.sizes, self.auth = bench.sizes, server.auth
        self.mine = Watched({"todomesh dev": server.pid})
        self.theirs = Watched({"floor": floor.pid})
        self.rest = {"todomesh": self.mine.rss(), "floor": self.theirs.rss()}
        self.quiet = 0.1

    def steps(self) -> list[Step]:
        bench, server, floor = self.bench, self.server, self.floor
        return [
            (["cpu_at_rest"], "no client", self.cpu_at_rest),
            (["writes", "rss"], "wrk, closed loop", self.writes),
            (["request_to_event", "request_to_audit"], "asyncio, closed loop", self.pipeline),
            (["recurring_next"], "one completion at a time", self.recurring),
            (["reminder_lateness"], "all due in the same second", self.reminders),
            (
                ["cold_start"],
                "restart, one event each",
                partial(cold_start_figures, bench, server, floor),
            ),
            (
                ["backlog_drain", "reads_during_drain"],
                "restart with a backlog",
                partial(backlog_figures, bench, server, floor),
            ),
        ]

    def settle(self) -> None:
        waited = settle(self.mine, self.quiet, self.sizes.settle_timeout)
        say(f"settled after {waited}s (under {self.quiet:.2f} of a core)")

    def cpu_at_rest(self) -> dict[str, Any]:
        fig = cpu_at_rest(self.mine, self.theirs, FLOOR, self.sizes.rest_seconds)
        self.quiet = (fig["todomesh"] or {}).get("total_cpu_fraction", 0.05) + 0.05
        return {"cpu_at_rest": fig}

    def writes(self) -> dict[str, Any]:
        body, peak = {"title": "bench write"}, {}

        def floor_run() -> dict[str, Any]:
            with PeakRss(self.theirs) as sampled:
                result = wrk_writes(f"{self.floor.url}/items", self.auth, self.sizes, "w", body)()
            peak.update(sampled.result())
            return result

        url, user = f"{self.server.url}/api/tasks", self.bench.user("w")
        fig, mine_peak = writes(
            wrk_writes(url, self.auth, self.sizes, user, body),
            {"flask_sqlite": (FLOOR, floor_run)},
            sizes=self.sizes,
            watched=self.mine,
            params={"server": self.server.settings.describe()},
        )
        if self.profile_to:
            self.profile(url)
        base = (FLOOR, self.rest["floor"], peak or self.rest["floor"])
        return {"writes": fig, "rss": rss(self.rest["todomesh"], mine_peak, base)}

    def profile(self, url: str) -> None:
        assert self.profile_to is not None
        say(f"profile: py-spy on todomesh dev under a second write load -> {self.profile_to}")
        self.settle()
        recorder = profile.start(self.server.pid, self.profile_to, self.sizes.write_seconds)
        time.sleep(1.0)  # py-spy attaches before the load starts
        wrk_writes(url, self.auth, self.sizes, self.bench.user("p"), {"title": "profiled"})()
        self.bench.extra["profile"] = {"write_load": profile.finish(recorder, self.profile_to)}

    def pipeline(self) -> dict[str, Any]:
        log, user, sizes = BrokerLog(self.server.data_dir), self.bench.user("e"), self.sizes
        after, load = log.last_id(), (sizes.pipeline_clients, sizes.pipeline_seconds)
        made = asyncio.run(create_many(f"{self.server.url}/api/tasks", self.auth, user, *load))
        theirs = asyncio.run(create_many(f"{self.floor.url}/items", self.auth, user, *load))
        floor_result = summarize_ms([c.seconds for _, c in theirs])
        name = f"{FLOOR}: request -> its committed insert (its 2xx)"
        base = (name, floor_result, "no floor write succeeded")
        params = {"clients": load[0], "seconds": load[1]}

        def events(ids: list[str]) -> dict[str, float]:
            deadline, found = time.monotonic() + sizes.receipt_timeout, {}
            while time.monotonic() < deadline and len(found) < len(ids):
                for _, task_id, at in log.published("task-events", after):
                    found.setdefault(task_id, at)
                time.sleep(0.5)
            return found

        where = "published_at in the embedded broker log, runtime.db, read read-only"
        ids = {t for t, _ in made}
        recorded = asyncio.run(
            audited(self.server.url, self.auth, user, ids, sizes.receipt_timeout)
        )
        return {
            "request_to_event": event_figure(made, events, base, params, where),
            "request_to_audit": audit_figure(made, recorded, base, params),
        }

    def recurring(self) -> dict[str, Any]:
        ws, user = self.server.url.replace("http://", "ws://"), self.bench.user("r")
        fig = recurring_next(self.server.url, ws, self.auth, self.sizes, user)
        return {"recurring_next": asyncio.run(fig)}

    def reminders(self) -> dict[str, Any]:
        ws, user = self.server.url.replace("http://", "ws://"), self.bench.user("m")
        fig = reminder_lateness(self.server.url, ws, self.auth, self.sizes, user, "sweep")
        return {"reminder_lateness": asyncio.run(fig)}
