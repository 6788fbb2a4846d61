"""Containers of the app image, run with the project's podman setup (infra/image/).

`task image` builds the image and its Debian base into the podman storage in the
todomesh cache; `infra/image/podman.sh` is podman pointed at that storage and at
this machine's containers.conf, and every call here goes through it
(`functions.launcher.podman`, which the pod platform uses too).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

from functions.launcher.podman import (
    HOST_LOOPBACK,
    NETWORK,
    image_names,
    podman,
    require_image,
)

__all__ = ["HOST_LOOPBACK", "NETWORK", "image_names", "podman", "require_image"]

ROOT = Path(__file__).resolve().parents[2]


def in_image(image: str, *argv: str) -> str:
    """The output of `argv` run in a throwaway container of `image`."""
    return podman("run", "--rm", "--network", "none", image, *argv).stdout


@dataclass(frozen=True)
class AppContainer:
    name: str
    port: int

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def get(self, path: str) -> requests.Response:
        with requests.Session() as session:
            return session.get(self.url(path), timeout=5)

    def state(self, field: str) -> str:
        return podman("inspect", "--format", f"{{{{.State.{field}}}}}", self.name).stdout.strip()

    def logs(self) -> str:
        result = podman("logs", self.name)
        return result.stdout + result.stderr

    def pid1_uids(self) -> list[int]:
        """Real, effective, saved and filesystem uid of the container's PID 1."""
        status = podman("exec", self.name, "cat", "/proc/1/status").stdout
        line = next(line for line in status.splitlines() if line.startswith("Uid:"))
        return [int(uid) for uid in line.split()[1:]]

    def stop(self, grace_seconds: int) -> None:
        """SIGTERM, then SIGKILL after `grace_seconds`, as a kubelet stops a pod."""
        podman("stop", "--time", str(grace_seconds), self.name, timeout=grace_seconds + 30)


@contextmanager
def app_container(image: str, port: int, env: dict[str, str]) -> Iterator[AppContainer]:
    """A started container of `image` serving its port 8080 on 127.0.0.1:`port`, run
    with the pod security context of knative/ (no capabilities, no privilege gain);
    removed, running or not, on exit."""
    name = f"todomesh-test-{uuid.uuid4().hex[:10]}"
    options = ["--name", name, "--network", NETWORK, "--publish", f"127.0.0.1:{port}:8080"]
    options += ["--cap-drop", "all", "--security-opt", "no-new-privileges"]
    for key, value in env.items():
        options += ["--env", f"{key}={value}"]
    try:
        podman("run", "--detach", *options, image)
        yield AppContainer(name, port)
    finally:
        podman("rm", "--force", "--ignore", "--time", "0", name)
