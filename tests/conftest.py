"""Fixtures for every tier: a clean environment per test, and settings per database."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from functions.shared.settings import Settings
from tests.support.platform import PlatformProcess

pytest_plugins = ["tests.support.plugin"]


@pytest.fixture(autouse=True)
def _restore_environ() -> Iterator[None]:
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture
def fresh_database(request: pytest.FixtureRequest) -> Iterator[str]:
    """A new, empty PostgreSQL database on the test server; dropped afterwards."""
    server_url: str = request.getfixturevalue("postgres_url")
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield server_url.rsplit("/", 1)[0] + f"/{name}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """Embedded-mode settings on SQLite, and the same on a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return Settings(data_dir=tmp_path / "data")
    url = request.getfixturevalue("fresh_database")
    return Settings(data_dir=tmp_path / "data", database_url=url)


@pytest.fixture
def platform(tmp_path: Path) -> Iterator[PlatformProcess]:
    """A started `todomesh dev` on a free port with its own data directory."""
    server = PlatformProcess(tmp_path / "data").start()
    yield server
    server.stop()


@pytest.fixture
def stopped_platform(tmp_path: Path) -> Iterator[PlatformProcess]:
    """A platform the test starts (and restarts) itself."""
    server = PlatformProcess(tmp_path / "data")
    yield server
    server.crash()
