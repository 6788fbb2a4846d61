"""One app in a podman pod beside its daprd, sharing the pod's network namespace.

The pod holds two containers, as a cluster's pod with Dapr's injected sidecar
does: `app` (the image, listening on 8080) and `daprd` (the cached static daprd
binary, bind-mounted read-only into the Debian base image, on 3500). They reach
each other on the pod's own localhost; the host reaches the app and the sidecar
on the ports published on its 127.0.0.1. A pod without `daprd_args` has the app
only, as the query half of a function runs in a cluster.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import datetime

from functions.launcher.podman import NETWORK, PodmanError, podman
from functions.launcher.processes import http_ok

APP_PORT, DAPR_HTTP_PORT = 8080, 3500
READY_TIMEOUT = 120.0
_STARTED_AT = re.compile(r"^(\S+ \d\d:\d\d:\d\d)(\.\d{1,6})?\d* ([+-]\d{4})")


@dataclass
class AppPod:
    """`app_args` and `daprd_args` are what `podman create` takes after the options
    this class adds (pod, name): options, image, command."""

    name: str
    app_id: str
    port: int
    app_args: list[str]
    sidecar_port: int | None = None
    daprd_args: list[str] | None = None
    ready_seconds: float | None = None

    @property
    def containers(self) -> tuple[str, ...]:
        return ("app", "daprd") if self.daprd_args is not None else ("app",)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def sidecar_url(self) -> str:
        return f"http://127.0.0.1:{self.sidecar_port}"

    @property
    def pod_name(self) -> str | None:
        """What `{podName}` resolves to in its daprd's components (None: no daprd)."""
        return self.name if self.daprd_args is not None else None

    def start(self) -> None:
        """Create the pod and its containers, start them, wait until they are ready."""
        ports = [f"127.0.0.1:{self.port}:{APP_PORT}"]
        if self.daprd_args is not None:
            ports.append(f"127.0.0.1:{self.sidecar_port}:{DAPR_HTTP_PORT}")
        published = [option for port in ports for option in ("--publish", port)]
        podman("pod", "create", "--name", self.name, "--network", NETWORK, *published)
        if self.daprd_args is not None:
            podman("create", "--pod", self.name, "--name", f"{self.name}-daprd", *self.daprd_args)
        podman("create", "--pod", self.name, "--name", f"{self.name}-app", *self.app_args)
        self.restart()

    def restart(self) -> None:
        """Start the pod's containers (again, after `kill()`) and wait until they are ready."""
        podman("pod", "start", self.name)
        self.wait_ready()

    def kill(self) -> None:
        """SIGKILL every container of the pod: a node or process crash."""
        podman("pod", "kill", self.name)

    def stop(self) -> None:
        """Remove the pod and its containers, running or not."""
        podman("pod", "rm", "--force", "--ignore", "--time", "2", self.name, timeout=180)

    def logs(self, container: str = "app") -> str:
        result = podman("logs", f"{self.name}-{container}")
        return result.stdout + result.stderr

    def running(self, container: str = "app") -> bool:
        state = podman("inspect", "--format", "{{.State.Running}}", f"{self.name}-{container}")
        return state.stdout.strip() == "true"

    def wait_ready(self, timeout: float = READY_TIMEOUT) -> None:
        """Until the sidecar's health and the app's `/ready` answer 2xx; `ready_seconds`
        is then the time from the app process's start to its first ready answer."""
        deadline = time.monotonic() + timeout
        polls = 0
        while not self._ready():
            polls += 1
            if time.monotonic() > deadline or (polls % 20 == 0 and not self._all_running()):
                raise RuntimeError(f"pod {self.name} is not ready:\n{self._tails()}")
            time.sleep(0.1)
        self.ready_seconds = time.time() - self._app_started_at()

    def _ready(self) -> bool:
        sidecar = self.daprd_args is None or http_ok(f"{self.sidecar_url}/v1.0/healthz")
        return sidecar and http_ok(f"{self.url}/ready")

    def _all_running(self) -> bool:
        return all(self.running(container) for container in self.containers)

    def _app_started_at(self) -> float:
        state = podman("inspect", "--format", "{{.State.StartedAt}}", f"{self.name}-app")
        match = _STARTED_AT.match(state.stdout.strip())
        if not match:
            raise PodmanError(f"unexpected StartedAt {state.stdout!r}")
        moment = f"{match[1]}{match[2] or '.0'} {match[3]}"
        return datetime.strptime(moment, "%Y-%m-%d %H:%M:%S.%f %z").timestamp()

    def _tails(self, lines: int = 30) -> str:
        parts = []
        for container in self.containers:
            try:
                tail = self.logs(container).splitlines()[-lines:]
            except PodmanError as error:
                tail = [str(error)]
            parts.append(f"--- {container} of {self.name}:\n" + "\n".join(tail))
        return "\n".join(parts)
