"""Fixtures of the browser tier: a real headless Chromium (Debian's, through Playwright),
the platform it browses, signed-in tabs, API sessions and the accessibility audit.

Chromium comes from `infra/chromium/install.sh` and axe-core from `infra/axe/install.sh`;
without them these tests skip, or fail under CI=true (CI must not silently skip).
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from tests.support.browser import (
    AXE,
    CHROMIUM,
    CHROMIUM_ARGS,
    CONTEXT,
    PLATFORM_ENV,
    Api,
    OpenTab,
    Tabs,
    sign_in,
)
from tests.support.platform import PlatformProcess


def _require(present: bool, message: str) -> None:
    if present:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One Chromium per test module, stopped when the module ends.

    Playwright's sync API drives its event loop from a greenlet, so while it is open
    this thread has a running loop and `asyncio.run` raises. Module scope keeps that
    inside the browser tier (`package` scope would not: tests/ has no __init__.py, so
    it means the whole session). A session-scoped browser broke every later tier's
    asyncio tests when the whole suite ran in one process; tests/conftest.py names
    such a leak at the first test it meets.
    """
    _require(os.access(CHROMIUM, os.X_OK), f"{CHROMIUM} is missing; run infra/chromium/install.sh")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield launched
        launched.close()


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PlatformProcess]:
    """One `todomesh dev` for the tier; each test signs in as users of its own."""
    server = PlatformProcess(tmp_path_factory.mktemp("site") / "data", env=PLATFORM_ENV)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def user(request: pytest.FixtureRequest) -> str:
    """A user name of this test's own (a fresh, empty account)."""
    return f"{re.sub(r'[^A-Za-z0-9-]', '', request.node.name[5:25])}-{uuid.uuid4().hex[:6]}"


@pytest.fixture
def api(site: PlatformProcess) -> Iterator[Callable[[str], Api]]:
    sessions: list[Api] = []

    def as_user(name: str, platform: PlatformProcess = site) -> Api:
        sessions.append(Api(platform.url, platform.data_dir, name))
        return sessions[-1]

    yield as_user
    for session in sessions:
        session.close()


@pytest.fixture
def open_tab(browser: Browser, site: PlatformProcess) -> Iterator[Tabs]:
    tabs = Tabs(browser, site)
    yield tabs
    tabs.close()
    assert not tabs.errors.found, "\n".join(tabs.errors.found)


@pytest.fixture
def audit_tab(browser: Browser, site: PlatformProcess) -> Iterator[OpenTab]:
    """`audit_tab(user)`: a signed-in tab in a window that lets axe-core in (bypass_csp),
    for the accessibility audit only."""
    _require(AXE.is_file(), f"{AXE} is missing; run infra/axe/install.sh")
    contexts: list[BrowserContext] = []

    def open_(name: str | None, **options: Any) -> Page:
        """Signed in as `name`; None: the page as it greets a visitor."""
        context = browser.new_context(**{**CONTEXT, **options}, bypass_csp=True)
        contexts.append(context)
        page = context.new_page()
        if name is None:
            page.goto(f"{site.url}/")
            return page
        return sign_in(page, site.url, name)

    yield open_
    for context in contexts:
        context.close()
