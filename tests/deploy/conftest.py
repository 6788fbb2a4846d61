"""Fixtures for the deploy tier: the tools and schemas deploy/tools.sh caches.

Under CI (CI=true) or `task validate` (TODOMESH_DEPLOY_STRICT=1) a missing tool
or schema fails the test; elsewhere it skips with a pointer to `task validate`.
"""

from __future__ import annotations

import pytest

from tests.support.deploy import OVERLAYS, Tools, default_tools, render


@pytest.fixture(scope="session")
def tools() -> Tools:
    return default_tools()


@pytest.fixture(scope="session")
def rendered(tools: Tools) -> dict[str, str]:
    """The YAML of every overlay, rendered once per session by the real kustomize."""
    return {overlay: render(tools, overlay) for overlay in OVERLAYS}
