"""Throwaway PostgreSQL and Kafka servers on free 127.0.0.1 ports, for tests and benchmarks.

Each server lives in its own temporary folder, started from the binaries that
`task infra` caches, and is ready (polled, never slept on) when `start()`
returns. Use them as context managers, or call `start()` / `stop()` /
`close()`. `Daprd` and `Scheduler` live in `functions.launcher.sidecars`.
"""

from __future__ import annotations

import base64
import os
import shutil
import signal
import subprocess
import tempfile
import uuid
from pathlib import Path
from types import TracebackType
from typing import Self

import pg8000.native

from functions.launcher.binaries import INFRA, kafka_libs, postgres_bin
from functions.launcher.processes import ManagedProcess, free_port, port_open, wait_until

__all__ = ["KafkaBroker", "PostgresServer"]


class _Server:
    base_dir: Path

    def start(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def close(self) -> None:
        """Stop the server and delete its data."""
        self.stop()
        shutil.rmtree(self.base_dir, ignore_errors=True)

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class PostgresServer(_Server):
    """Its own cluster (initdb), trust auth on 127.0.0.1, user and database `todomesh`.

    PostgreSQL refuses to run as root, so as root it runs as the `postgres` OS
    user; `base_dir` (default: a new folder in the system temp dir) must then
    be reachable by that user.
    """

    def __init__(
        self, *, user: str = "todomesh", database: str = "todomesh", base_dir: Path | None = None
    ) -> None:
        self.bin = postgres_bin()
        self.user, self.database = user, database
        self.port = free_port()
        self.base_dir = Path(tempfile.mkdtemp(prefix="todomesh-pg-", dir=base_dir))
        self.os_user = "postgres" if os.geteuid() == 0 else None
        if self.os_user:
            shutil.chown(self.base_dir, self.os_user, self.os_user)
        self.data_dir = self.base_dir / "data"
        self.process = ManagedProcess(
            self._server_argv(), log_file=self.base_dir / "postgres.log", user=self.os_user
        )

    @property
    def url(self) -> str:
        return f"postgresql+pg8000://{self.user}@127.0.0.1:{self.port}/{self.database}"

    def start(self) -> None:
        if not (self.data_dir / "PG_VERSION").exists():
            self._initdb()
        self.process.start()
        wait_until(self._accepts, what=f"postgres :{self.port}", process=self.process)
        self._create_database()

    def stop(self) -> None:
        self.process.stop(signal.SIGINT)  # "fast" shutdown: ends open sessions

    def _server_argv(self) -> list[str]:
        settings = {
            "listen_addresses": "127.0.0.1",
            "port": str(self.port),
            "unix_socket_directories": str(self.base_dir),
            "fsync": "off",  # throwaway data
            "synchronous_commit": "off",
            "full_page_writes": "off",
        }
        argv = [str(self.bin / "postgres"), "-D", str(self.data_dir)]
        for key, value in settings.items():
            argv += ["-c", f"{key}={value}"]
        return argv

    def _initdb(self) -> None:
        argv = [str(self.bin / "initdb"), "-D", str(self.data_dir), "-U", self.user]
        argv += ["--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync"]
        subprocess.run(argv, check=True, capture_output=True, user=self.os_user)

    def _connect(self, database: str) -> pg8000.native.Connection:
        return pg8000.native.Connection(
            self.user, host="127.0.0.1", port=self.port, database=database, timeout=5
        )

    def _accepts(self) -> bool:
        try:
            self._connect("postgres").close()
        except (pg8000.native.Error, OSError):
            return False
        return True

    def _create_database(self) -> None:
        conn = self._connect("postgres")
        try:
            if not conn.run("select 1 from pg_database where datname = :d", d=self.database):
                conn.run(f"create database {pg8000.native.identifier(self.database)}")
        finally:
            conn.close()


def kafka_cluster_id() -> str:
    """A random cluster id as Kafka's `Uuid.randomUuid` makes one: base64url of 16 bytes
    that does not start with '-' (StorageTool would read `-t -Abc...` as an option; one
    id in 64 did, and that Kafka never formatted)."""
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cluster_id.startswith("-"):
            return cluster_id


class KafkaBroker(_Server):
    """A single-node KRaft broker. `stop()` then `start()` brings back the same
    broker with the same ports and data; `kill()` is a crash. Containers have a
    listener of their own, on `pod_port`, that advertises the address they reach."""

    def __init__(self, *, base_dir: Path | None = None) -> None:
        self.libs = kafka_libs()
        self.port, self.controller_port, self.pod_port = free_port(), free_port(), free_port()
        self.base_dir = Path(tempfile.mkdtemp(prefix="todomesh-kafka-", dir=base_dir))
        self.config = self.base_dir / "server.properties"
        self.process = ManagedProcess(
            self._java("kafka.Kafka", str(self.config)), log_file=self.base_dir / "kafka.log"
        )
        self._log_offset = 0

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> None:
        self._configure()
        self._log_offset = len(self.process.log_text())
        self.process.start()
        wait_until(self._ready, what=f"kafka {self.bootstrap}", process=self.process)

    def stop(self) -> None:
        self.process.stop(signal.SIGTERM, timeout=60)  # controlled shutdown

    def kill(self) -> None:
        self.process.kill()

    def _java(self, main_class: str, *args: str) -> list[str]:
        jvm = ["-Xmx512m", "-Xms128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"]
        logging = f"-Dlog4j.configuration=file:{INFRA / 'kafka' / 'log4j.properties'}"
        java = shutil.which("java") or "java"
        return [java, *jvm, logging, "-cp", f"{self.libs}/*", main_class, *args]

    def _configure(self) -> None:
        if (self.base_dir / "data" / "meta.properties").exists():
            return
        template = (INFRA / "kafka" / "server.properties.template").read_text()
        self.config.write_text(
            template.replace("@PORT@", str(self.port))
            .replace("@CONTROLLER_PORT@", str(self.controller_port))
            .replace("@POD_PORT@", str(self.pod_port))
            .replace("@LOG_DIRS@", str(self.base_dir / "data"))
        )
        argv = self._java("kafka.tools.StorageTool", "format", "-t", kafka_cluster_id())
        subprocess.run([*argv, "-c", str(self.config)], check=True, capture_output=True)

    def _ready(self) -> bool:
        started = "Kafka Server started" in self.process.log_text()[self._log_offset :]
        return started and port_open(self.port)
