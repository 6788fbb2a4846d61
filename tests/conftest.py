"""Fixtures for every tier: a clean environment per test, settings per database, a tracker
of what a test opens; and the check that every test carries its tier's marker.

Tiers are directories. `tests/unit` holds pure unit tests and carries no marker (the
`unit` marker is added here); every other directory's test files carry their tier's
marker as `pytestmark = pytest.mark.<tier>`, and collection fails when one does not.
The in-process tiers (unit, api, functions, contract) start no server process: what
they serve, they serve from a thread of the test process on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import gc
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from functions.shared.settings import Settings
from tests.support.databases import fresh_database_url
from tests.support.identity import SessionIdentity, identity_settings
from tests.support.platform import PlatformProcess
from tests.support.tracker import Tracker

pytest_plugins = ["tests.support.plugin"]

TESTS = Path(__file__).resolve().parent
# tests/<directory> -> its tier's marker
TIERS = {
    "unit": "unit",
    "api": "api",
    "functions": "functions",
    "contract": "contract",
    "e2e": "e2e",
    "integration": "integration",
    "deploy": "deploy",
    "browser": "browser",
    "image": "image",
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the unit tests; refuse a test outside a tier or without its tier's marker."""
    missing: list[str] = []
    for item in items:
        if not item.path.is_relative_to(TESTS):
            continue
        directory = item.path.relative_to(TESTS).parts[0]
        tier = TIERS.get(directory)
        if directory == "unit":
            item.add_marker(pytest.mark.unit)
        elif tier is None or item.get_closest_marker(tier) is None:
            missing.append(f"{item.nodeid} (wants pytest.mark.{tier or '<a tier>'})")
    if missing:
        shown = "\n  ".join(missing[:20])
        raise pytest.UsageError(
            f"{len(missing)} tests lack their tier marker (pytestmark = "
            f"pytest.mark.<tier> in the test file):\n  {shown}"
        )


@pytest.fixture(autouse=True)
def _collect_garbage() -> Iterator[None]:
    """Collect garbage after each test, so that a resource it leaked in a reference cycle
    warns (and, under filterwarnings=error, fails) in this test's teardown, not later.

    What survives is frozen (`gc.freeze`): the next collection then walks only what the
    next test made, about 1 ms instead of a few hundred for the whole heap.
    """
    yield
    gc.collect()
    gc.freeze()


@pytest.fixture(autouse=True)
def _no_running_loop_leaked(request: pytest.FixtureRequest) -> None:
    """Fail at the first test that meets an event loop left running in this thread.

    A running loop outside a coroutine is what an open Playwright sync API leaves (it
    runs its loop from a greenlet); every `asyncio.run` after it raises. The browser
    tier opens one for itself, so its tests are exempt.
    """
    if request.node.get_closest_marker("browser") is not None:
        return
    try:
        leaked = asyncio.get_running_loop()
    except RuntimeError:
        return  # none running: the usual case
    pytest.fail(
        f"an event loop ({leaked!r}) is left running in the test thread by an earlier "
        "test or fixture (a sync Playwright outliving its tier?)",
        pytrace=False,
    )


def pytest_sessionfinish() -> None:
    gc.unfreeze()  # pytest's last collection sees everything again


@pytest.fixture
def track() -> Iterator[Tracker]:
    """The test's WebSocket clients, sockets, threads and other closeables, all closed
    (threads joined) after it."""
    tracker = Tracker()
    yield tracker
    tracker.close()


@pytest.fixture(autouse=True)
def _restore_environ() -> Iterator[None]:
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture
def fresh_database(request: pytest.FixtureRequest) -> Iterator[str]:
    """A new, empty PostgreSQL database on the test server; dropped afterwards."""
    with fresh_database_url(request.getfixturevalue("postgres_url")) as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """Embedded-mode settings on SQLite, and the same on a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return identity_settings(Settings(data_dir=tmp_path / "data"))
    url = request.getfixturevalue("fresh_database")
    return identity_settings(Settings(data_dir=tmp_path / "data", database_url=url))


@pytest.fixture(scope="session", autouse=True)
def _test_identity() -> Iterator[None]:
    """The session's token signer (`tests.support.identity`), removed at the end."""
    yield
    SessionIdentity.close()


@pytest.fixture
def platform(tmp_path: Path) -> Iterator[PlatformProcess]:
    """A started `todomesh dev` on a free port with its own data directory."""
    server = PlatformProcess(tmp_path / "data").start()
    yield server
    server.stop()
    server.close_sessions()


@pytest.fixture
def stopped_platform(tmp_path: Path) -> Iterator[PlatformProcess]:
    """A platform the test starts (and restarts) itself."""
    server = PlatformProcess(tmp_path / "data")
    yield server
    server.crash()
    server.close_sessions()
