"""Real `daprd` sidecars and the Dapr `scheduler`, each on its own free ports."""

from __future__ import annotations

import os
import re
import shutil
import signal
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import requests

from functions.launcher.binaries import DaprBinaries, dapr_binaries
from functions.launcher.processes import ManagedProcess, free_port, http_ok, wait_until
from functions.launcher.render import pod_name

_ERROR_LINE = re.compile(r"level=(error|fatal)|\"level\":\"(error|fatal)\"", re.IGNORECASE)


class _DaprProcess:
    process: ManagedProcess
    base_dir: Path

    def log_text(self) -> str:
        return self.process.log_text()

    def log_errors(self) -> list[str]:
        """Log lines at level error or fatal."""
        return [line for line in self.log_text().splitlines() if _ERROR_LINE.search(line)]

    def kill(self) -> None:
        self.process.kill()

    def stop(self) -> None:
        self.process.stop(signal.SIGTERM)

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.base_dir, ignore_errors=True)


class Scheduler(_DaprProcess):
    """The Dapr Scheduler (Jobs API) with embedded etcd in a temp folder."""

    def __init__(
        self, *, binaries: DaprBinaries | None = None, base_dir: Path | None = None
    ) -> None:
        binaries = binaries or dapr_binaries()
        self.base_dir = Path(tempfile.mkdtemp(prefix="todomesh-scheduler-", dir=base_dir))
        self.port, self.healthz_port, self.metrics_port = free_port(), free_port(), free_port()
        self.etcd_client_port, self.etcd_peer_port = free_port(), free_port()
        argv = [
            str(binaries.scheduler),
            "--listen-address=127.0.0.1",
            f"--port={self.port}",
            "--healthz-listen-address=127.0.0.1",
            f"--healthz-port={self.healthz_port}",
            "--metrics-listen-address=127.0.0.1",
            f"--metrics-port={self.metrics_port}",
            f"--etcd-data-dir={self.base_dir / 'etcd'}",
            f"--etcd-client-port={self.etcd_client_port}",
            f"--etcd-initial-cluster=dapr-scheduler-server-0=http://127.0.0.1:{self.etcd_peer_port}",
        ]
        self.process = ManagedProcess(argv, log_file=self.base_dir / "scheduler.log")

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> None:
        self.process.start()
        healthz = f"http://127.0.0.1:{self.healthz_port}/healthz"
        wait_until(
            lambda: http_ok(healthz), what="scheduler", timeout=timeout, process=self.process
        )


class Daprd(_DaprProcess):
    """One sidecar for `app_id`. `start()` returns once its outbound side (components,
    publish, output bindings) is ready; the app does not need to be running."""

    def __init__(
        self,
        app_id: str,
        app_port: int | None,
        resources_path: Path | Sequence[Path],
        config: Path | None = None,
        *,
        binaries: DaprBinaries | None = None,
        scheduler_address: str | None = None,
        env: Mapping[str, str] | None = None,
        extra_args: Sequence[str] = (),
        base_dir: Path | None = None,
    ) -> None:
        binaries = binaries or dapr_binaries()
        self.app_id = app_id
        self.base_dir = Path(tempfile.mkdtemp(prefix=f"todomesh-daprd-{app_id}-", dir=base_dir))
        self.http_port, self.grpc_port = free_port(), free_port()
        self.metrics_port, self.internal_grpc_port = free_port(), free_port()
        paths = [resources_path] if isinstance(resources_path, Path) else list(resources_path)
        argv = [str(binaries.daprd), *self._port_args(), f"--app-id={app_id}"]
        argv += [f"--resources-path={path}" for path in paths]
        if app_port is not None:
            argv += [f"--app-port={app_port}", "--app-protocol=http"]
        if config is not None:
            argv.append(f"--config={config}")
        if scheduler_address is not None:
            argv.append(f"--scheduler-host-address={scheduler_address}")
        argv += list(extra_args)
        # {podName} in a component resolves to POD_NAME; self-hosted nobody sets it.
        child_env = {**os.environ, "POD_NAME": pod_name(app_id, self.http_port), **(env or {})}
        self.pod_name = child_env["POD_NAME"]
        token = child_env.get("DAPR_API_TOKEN")
        # What a caller of this sidecar's API must send (daprd refuses calls without it).
        self.api_headers = {"dapr-api-token": token} if token else {}
        self.process = ManagedProcess(
            argv, log_file=self.base_dir / "daprd.log", env=child_env, cwd=self.base_dir
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def start(self, timeout: float = 60.0) -> None:
        self.process.start()
        outbound = f"{self.url}/v1.0/healthz/outbound"
        wait_until(
            lambda: http_ok(outbound),
            what=f"daprd {self.app_id}",
            timeout=timeout,
            process=self.process,
        )

    def restart(self, timeout: float = 60.0) -> None:
        """Stop gracefully and start again on the same ports."""
        self.stop()
        self.start(timeout)

    def metadata(self) -> dict[str, Any]:
        response = requests.get(f"{self.url}/v1.0/metadata", headers=self.api_headers, timeout=5)
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    def _port_args(self) -> list[str]:
        return [
            "--dapr-listen-addresses=127.0.0.1",
            f"--dapr-http-port={self.http_port}",
            f"--dapr-grpc-port={self.grpc_port}",
            "--dapr-internal-grpc-listen-address=127.0.0.1",
            f"--dapr-internal-grpc-port={self.internal_grpc_port}",
            "--metrics-listen-address=127.0.0.1",
            f"--metrics-port={self.metrics_port}",
        ]
