"""A real headless Chromium (Debian's, via Playwright) and the platform it browses.

Chromium comes from `infra/chromium/install.sh`; without it these tests skip,
or fail under CI=true (CI must not silently skip).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.support.platform import PlatformProcess

CHROMIUM = Path(os.environ.get("TODOMESH_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not os.access(CHROMIUM, os.X_OK):
        message = f"{CHROMIUM} is missing; run infra/chromium/install.sh"
        if os.environ.get("CI") == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield launched
        launched.close()


@pytest.fixture
def open_tab(browser: Browser, platform: PlatformProcess) -> Iterator[Callable[[str], Page]]:
    """Open the page as `user` in a new tab of one browser window."""
    context = browser.new_context()

    def open_(user: str) -> Page:
        page = context.new_page()
        page.goto(f"{platform.url}/?user={user}")
        return page

    yield open_
    context.close()
