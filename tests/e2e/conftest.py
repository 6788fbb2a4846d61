"""The embedded platform as users run it: `todomesh dev` in its own process."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.platform import PlatformProcess


@pytest.fixture
def platform(tmp_path: Path) -> Iterator[PlatformProcess]:
    """A started platform on a free port with its own data directory."""
    server = PlatformProcess(tmp_path / "data").start()
    yield server
    server.stop()


@pytest.fixture
def stopped_platform(tmp_path: Path) -> Iterator[PlatformProcess]:
    """A platform the test starts (and restarts) itself."""
    server = PlatformProcess(tmp_path / "data")
    yield server
    server.crash()
