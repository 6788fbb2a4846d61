"""The self-hosted Dapr stack of `todomesh up --dapr`, on throwaway services, and its floor.

PostgreSQL, Kafka and Dapr's scheduler start fresh for the run on free ports (as the
integration tests start theirs), so no earlier run's topics or consumer groups leak
in. The platform is `SelfHostedPlatform` itself, with reminders in the Jobs API mode.
The floor app runs under the same gunicorn config beside a daprd of its own.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from bench.load.auth import BENCH_ENV, Auth
from bench.targets.floor import FloorServer, ServerSettings
from functions.launcher.processes import free_port
from functions.launcher.render import config_path
from functions.launcher.selfhosted import Addresses, Member, SelfHostedPlatform
from functions.launcher.services import KafkaBroker, PostgresServer
from functions.launcher.sidecars import Daprd, Scheduler

APP_THREADS = 16  # GUNICORN_THREADS of every app but the hub (selfhosted.py)
FLOOR_PUBSUB = """apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: pubsub
spec:
  type: pubsub.kafka
  version: v1
  metadata:
    - name: brokers
      value: "{brokers}"
    - name: authType
      value: "none"
"""


class DaprStack:
    def __init__(self, work: Path) -> None:
        self.work = work
        self.postgres = PostgresServer()
        self.kafka = KafkaBroker(base_dir=work)
        self.scheduler = Scheduler(base_dir=work)
        self.settings = ServerSettings(threads=APP_THREADS, config="python:functions.gunicorn_conf")
        self.platform: SelfHostedPlatform | None = None
        self.floor_daprd: Daprd | None = None
        self.floor: FloorServer | None = None
        # how the load process becomes a user of the platform (once it has started)
        self.auth = Auth(lambda user, ttl: self._platform().identity.token(user, ttl=ttl))

    def start(self) -> DaprStack:
        together(self.postgres.start, self.kafka.start, self.scheduler.start)
        addresses = Addresses(self.postgres.url, self.kafka.bootstrap, "127.0.0.1", free_port())
        env = {"TODOMESH_REMINDER_MODE": "jobs", **BENCH_ENV}
        self.platform = SelfHostedPlatform(
            addresses, self.work / "platform", scheduler=self.scheduler, env=env
        )
        self.platform.start()
        resources = self.work / "floor-resources"
        resources.mkdir(exist_ok=True)
        (resources / "pubsub.yaml").write_text(FLOOR_PUBSUB.format(brokers=self.kafka.bootstrap))
        self.floor_daprd = Daprd("floor", None, resources, config_path(), base_dir=self.work)
        self.floor = FloorServer(
            self.postgres.url, self.settings, self.work / "floor.log", self.floor_daprd.http_port
        )
        self.floor_daprd.start()
        self.floor.start()
        return self

    def stop(self) -> None:
        for stop in (
            self.floor and self.floor.stop,
            self.floor_daprd and self.floor_daprd.close,
            self.platform and self.platform.stop,
            self.scheduler.close,
            self.kafka.close,
            self.postgres.close,
        ):
            if stop:
                stop()

    def member(self, app_id: str) -> Member:
        return self._platform().members[app_id]

    def _platform(self) -> SelfHostedPlatform:
        assert self.platform is not None, "the stack is not started"
        return self.platform

    def pids(self) -> dict[str, int]:
        """Every app and sidecar of the platform, by name."""
        found = {}
        for name, member in self._platform().members.items():
            found[name] = member.app.pid
            found[f"{name}-daprd"] = member.sidecar.process.pid
        return {name: pid for name, pid in found.items() if pid is not None}

    def floor_pids(self) -> dict[str, int]:
        assert self.floor is not None and self.floor_daprd is not None
        return {"floor": self.floor.pid, "floor-daprd": self.floor_daprd.process.pid or 0}


def restart(member: Member) -> None:
    """The sidecar, then the app, on the same ports: the same consumer groups resume."""
    member.sidecar.start()
    member.start_app()


def stop(member: Member) -> None:
    member.stop_app()
    member.sidecar.stop()


def together(*calls: Any) -> None:
    """Run the calls in threads; re-raise the first failure."""
    errors: list[BaseException] = []

    def guarded(call: Any) -> None:
        try:
            call()
        except BaseException as error:  # reported to the caller below
            errors.append(error)

    threads = [threading.Thread(target=guarded, args=(c,)) for c in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
