"""The web page in headless Chromium: two tabs of one user stay in step over the hub."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.support.platform import PlatformProcess

pytestmark = pytest.mark.browser
TIMEOUT_MS = 15_000


def live(page: Page) -> Page:
    expect(page.locator("#connection")).to_have_attribute("data-state", "live", timeout=TIMEOUT_MS)
    expect(page.locator("#who")).to_be_hidden()
    return page


def task(page: Page, title: str) -> Any:
    return page.locator("li.task", has_text=title)


def test_a_change_in_one_tab_shows_in_the_other_without_reload(
    open_tab: Callable[[str], Page],
) -> None:
    tab1, tab2 = live(open_tab("ann")), live(open_tab("ann"))
    tab1.fill("#new-title", "Buy milk")
    tab1.click("#add")
    expect(task(tab2, "Buy milk")).to_be_visible(timeout=TIMEOUT_MS)
    expect(task(tab2, "Buy milk")).to_have_attribute("data-status", "pending")

    task(tab2, "Buy milk").locator("button.complete").click()
    expect(task(tab1, "Buy milk")).to_have_attribute("data-status", "complete", timeout=TIMEOUT_MS)
    expect(task(tab1, "Buy milk").locator("button.complete")).to_be_disabled()

    task(tab1, "Buy milk").locator("button.delete").click()
    expect(task(tab2, "Buy milk")).to_have_count(0, timeout=TIMEOUT_MS)


def test_another_users_tab_sees_nothing(open_tab: Callable[[str], Page]) -> None:
    ann, ann2 = live(open_tab("ann")), live(open_tab("ann"))
    bob, bob2 = live(open_tab("bob")), live(open_tab("bob"))
    ann.fill("#new-title", "Ann's secret")
    ann.click("#add")
    expect(task(ann2, "Ann's secret")).to_be_visible(timeout=TIMEOUT_MS)  # fanned out
    bob.fill("#new-title", "Bob's own")
    bob.click("#add")
    expect(task(bob2, "Bob's own")).to_be_visible(timeout=TIMEOUT_MS)  # after anything before
    for page in (bob, bob2):
        expect(task(page, "Ann's secret")).to_have_count(0)


def test_the_page_reconnects_after_a_restart_and_resumes_from_its_last_seq(
    open_tab: Callable[[str], Page], platform: PlatformProcess
) -> None:
    tab = live(open_tab("ann"))
    sockets: list[str] = []
    tab.on("websocket", lambda ws: sockets.append(ws.url))
    tab.fill("#new-title", "Before the restart")
    tab.click("#add")
    expect(task(tab, "Before the restart")).to_be_visible(timeout=TIMEOUT_MS)
    expect(tab.locator("#connection")).to_have_attribute("data-seq", "1")  # its event came

    platform.stop()
    platform.start()
    made = platform.api("ann").post("/api/tasks", json={"title": "Made while away"})
    assert made.status_code == 201
    expect(task(tab, "Made while away")).to_be_visible(timeout=TIMEOUT_MS)
    live(tab)
    assert any("since=1" in url for url in sockets), sockets
