"""The self-hosted Dapr mode for real: apps under gunicorn, daprd, Kafka, PostgreSQL, SMTP.

`selfhosted()` starts the platform exactly as `todomesh up --dapr` does
(functions/launcher/selfhosted.py), on a fresh database, the given Kafka broker
and a real SMTP server; every platform a test started is stopped afterwards.
A test marked `each_platform` runs twice: its `selfhosted()` is then, in the
`pods` instance, the platform from the image with each app in a podman pod
(functions/launcher/pods.py). Use a unique user id per test: the session's
Kafka topics outlive a test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from functions.launcher.binaries import DaprBinaries
from functions.launcher.platform import LaunchedPlatform
from functions.launcher.selfhosted import Addresses, SelfHostedPlatform
from tests.support.identity import TEST_WRITE_LIMIT
from tests.support.kafka import GroupLag
from tests.support.mail import Mailbox, smtp_server
from tests.support.pods import PLATFORMS, pod_platform
from tests.support.quiet import Backlog, DaprBacklog, consumer_groups, wait_quiet
from tests.support.services import KafkaBroker
from tests.support.tracker import Tracker


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    with smtp_server() as box:
        yield box


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run each test marked `each_platform` on the self-hosted and on the pod platform."""
    if metafunc.definition.get_closest_marker("each_platform"):
        metafunc.parametrize("selfhosted", PLATFORMS, indirect=True)


@pytest.fixture
def selfhosted(
    request: pytest.FixtureRequest,
    dapr_binaries: DaprBinaries,
    kafka_broker: KafkaBroker,
    fresh_database: str,
    mailbox: Mailbox,
    tmp_path: Path,
) -> Iterator[Callable[..., LaunchedPlatform]]:
    """`selfhosted(broker=None, database_url=None, **kwargs)` -> a started SelfHostedPlatform.

    `database_url` replaces the fresh database (e.g. a server the test stops);
    kwargs go to SelfHostedPlatform: `app_ids`, `env` (extra app environment),
    `scheduler` (a started Scheduler for the Jobs API; not on pods).
    """
    started: list[LaunchedPlatform] = []
    on_pods = getattr(request, "param", "selfhosted") == "pods"

    def start(
        broker: KafkaBroker | None = None, database_url: str | None = None, **kwargs: Any
    ) -> LaunchedPlatform:
        addresses = Addresses(
            database_url=database_url or fresh_database,
            kafka_brokers=(broker or kafka_broker).bootstrap,
            smtp_host="127.0.0.1",
            smtp_port=mailbox.port,
        )
        work_dir = tmp_path / f"platform-{len(started)}"
        kwargs["env"] = {"TODOMESH_RATE_LIMIT_WRITES": TEST_WRITE_LIMIT, **kwargs.get("env", {})}
        platform: LaunchedPlatform
        if on_pods:
            broker = broker or kafka_broker
            platform = pod_platform(addresses, work_dir, broker, dapr_binaries, **kwargs)
        else:
            platform = SelfHostedPlatform(addresses, work_dir, binaries=dapr_binaries, **kwargs)
        started.append(platform)
        return platform.start()

    yield start
    for platform in reversed(started):
        platform.stop()


@pytest.fixture
def quiet(track: Tracker) -> Callable[..., Backlog]:
    """`quiet(platform, what)` waits until `platform` owes nothing: every outbox published,
    every consumer group of its sidecars caught up, no notification attempt to come."""

    def wait(platform: LaunchedPlatform, what: str, timeout: float = 60.0) -> Backlog:
        members = platform.members.values()
        pods = [(m.app_id, m.pod_name) for m in members if m.pod_name is not None]
        lag = GroupLag(platform.addresses.kafka_brokers, consumer_groups(pods))
        probe = track.own(DaprBacklog(platform.addresses.database_url, lag))
        return wait_quiet(probe, what, timeout)

    return wait
