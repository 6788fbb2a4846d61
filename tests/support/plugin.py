"""pytest plugin: session-wide real services for the `integration`/`postgres` tiers.

Load it with `pytest_plugins = ["tests.support.plugin"]` or `-p tests.support.plugin`.
When a binary or jar is missing from the cache, a fixture skips its tests with
a hint to run `task infra`, or fails them when CI=true (CI must not silently skip).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NoReturn

import pytest

from functions.launcher.binaries import DaprBinaries, MissingInfrastructure
from functions.launcher.binaries import dapr_binaries as find_dapr_binaries
from functions.launcher.render import config_path
from tests.support.services import Daprd, KafkaBroker, PostgresServer, Scheduler


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "integration: real daprd, Kafka and PostgreSQL")
    config.addinivalue_line("markers", "postgres: runs against a real PostgreSQL server")


def infrastructure_missing(error: Exception) -> NoReturn:
    """Fail under CI=true, skip elsewhere."""
    message = str(error)
    if os.environ.get("CI") == "true":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def _create(factory: Callable[[], Any]) -> Any:
    try:
        return factory()
    except MissingInfrastructure as error:
        infrastructure_missing(error)


@pytest.fixture(scope="session")
def dapr_binaries() -> DaprBinaries:
    """Paths of the cached `daprd` and `scheduler`."""
    found: DaprBinaries = _create(find_dapr_binaries)
    return found


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    server: PostgresServer = _create(PostgresServer)
    with server:
        yield server


@pytest.fixture(scope="session")
def postgres_url(postgres_server: PostgresServer) -> str:
    """`postgresql+pg8000://todomesh@127.0.0.1:<port>/todomesh` (a superuser, trust auth)."""
    return postgres_server.url


@pytest.fixture(scope="session")
def kafka_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaBroker]:
    """The session's broker. Fault tests that stop it should use `new_kafka_broker`."""
    base = tmp_path_factory.mktemp("kafka")
    broker: KafkaBroker = _create(lambda: KafkaBroker(base_dir=base))
    with broker:
        yield broker


@pytest.fixture(scope="session")
def kafka_bootstrap(kafka_broker: KafkaBroker) -> str:
    """`127.0.0.1:<port>` of the session's broker."""
    return kafka_broker.bootstrap


@pytest.fixture
def new_kafka_broker(tmp_path: Path) -> Iterator[Callable[[], KafkaBroker]]:
    """A factory of started brokers owned by one test (stop/start/kill them freely)."""
    brokers: list[KafkaBroker] = []

    def make() -> KafkaBroker:
        broker: KafkaBroker = _create(lambda: KafkaBroker(base_dir=tmp_path))
        brokers.append(broker)
        broker.start()
        return broker

    yield make
    for broker in brokers:
        broker.close()


@pytest.fixture(scope="session")
def scheduler(
    dapr_binaries: DaprBinaries, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Scheduler]:
    """A Dapr Scheduler with embedded etcd, for the Jobs API."""
    server = Scheduler(binaries=dapr_binaries, base_dir=tmp_path_factory.mktemp("scheduler"))
    server.start()
    yield server
    server.close()


@pytest.fixture
def start_daprd(dapr_binaries: DaprBinaries, tmp_path: Path) -> Iterator[Callable[..., Daprd]]:
    """`start_daprd(app_id, app_port, resources_path, **kwargs)` -> a started sidecar,
    configured with dapr/config.yaml unless `config=` says otherwise; all are stopped
    after the test."""
    sidecars: list[Daprd] = []

    def start(app_id: str, app_port: int | None, resources_path: Path, **kwargs: Any) -> Daprd:
        kwargs.setdefault("config", config_path())
        sidecar = Daprd(
            app_id,
            app_port,
            resources_path,
            binaries=dapr_binaries,
            base_dir=tmp_path,
            **kwargs,
        )
        sidecars.append(sidecar)
        sidecar.start()
        return sidecar

    yield start
    for sidecar in sidecars:
        sidecar.close()
