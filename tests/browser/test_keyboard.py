"""The page by keyboard alone: skip link, quick add, the editor (Escape gives the focus
back), completing with Space and undoing with Ctrl+Z; at 360 px nothing overflows."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.support.browser import (
    Api,
    OpenTab,
    Tabs,
    assert_accessible,
    at,
    local_day,
    row,
    title_of,
)

pytestmark = pytest.mark.browser


def tab_to(page: Page, target: Locator, limit: int = 40) -> None:
    """Press Tab until `target` has the focus."""
    for _ in range(limit):
        if target.evaluate("el => el === document.activeElement"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{target} never got the focus by Tab")


def test_the_page_works_by_keyboard(open_tab: Tabs, api: Callable[[str], Api], user: str) -> None:
    client = api(user)
    task = client.task(title="Tidy the desk", due_date=at(local_day(), 23))
    page = open_tab(user)
    expect(row(page, "Tidy the desk")).to_be_visible()
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to your tasks")).to_be_focused()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Add a task")).to_be_focused()
    page.keyboard.type("Call grandma today 11pm")
    page.keyboard.press("Enter")
    expect(row(page, "Call grandma")).to_be_visible()

    tab_to(page, title_of(page, "Tidy the desk"))
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Edit “Tidy the desk”")
    expect(dialog.get_by_label("Title")).to_be_focused()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(title_of(page, "Tidy the desk")).to_be_focused()

    page.keyboard.press("Shift+Tab")
    expect(page.get_by_role("button", name="Complete “Tidy the desk”")).to_be_focused()
    page.keyboard.press("Space")
    expect(row(page, "Tidy the desk")).to_have_count(0)
    page.keyboard.press("Control+z")
    expect(title_of(page, "Tidy the desk")).to_be_focused()
    assert client.get_task(task["id"])["status"] == "pending"


def test_a_phone_screen_never_scrolls_sideways(
    audit_tab: OpenTab, api: Callable[[str], Api], user: str
) -> None:
    api(user).task(
        title="A rather long task title that has to wrap on a small phone screen somewhere",
        due_date=at(local_day(1), 9), recurrence="FREQ=MONTHLY;BYDAY=+3FR", priority="high",
        tags=["one", "two", "three"], description="notes",
    )  # fmt: skip
    page = audit_tab(user, viewport={"width": 360, "height": 740})
    overflow = "() => document.documentElement.scrollWidth - window.innerWidth"
    page.get_by_role("link", name="Upcoming").click()
    page.get_by_label("Add a task").fill("call mom tomorrow 5pm every week #family p1")
    expect(page.locator("#quick-mirror button.hl")).not_to_have_count(0)
    assert page.evaluate(overflow) <= 0
    assert_accessible(page, "Upcoming on a phone")
    page.get_by_role("button", name="Chat").click()
    assert page.evaluate(overflow) <= 0
    page.keyboard.press("Escape")
    title_of(
        page, "A rather long task title that has to wrap on a small phone screen somewhere"
    ).click()
    expect(page.get_by_role("dialog")).to_be_visible()
    assert page.evaluate(overflow) <= 0
    assert_accessible(page, "the editor on a phone")
