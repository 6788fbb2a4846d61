"""Quick add: the parser's understanding highlighted as you type, a highlight selected to
keep it as text (following later edits), the task added as previewed; a command goes to
the chat."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from tests.support.browser import (
    TIMEOUT_MS,
    Api,
    OpenTab,
    Tabs,
    assert_accessible,
    row,
)

pytestmark = pytest.mark.browser
LINE = "pay rent every 3rd friday at 9am #bills p1"


def test_the_preview_highlights_what_was_understood_and_adds_it(
    open_tab: Tabs, api: Callable[[str], Api], user: str
) -> None:
    page = open_tab(user)
    box = page.get_by_label("Add a task")
    box.fill(LINE)
    mirror, summary = page.locator("#quick-mirror"), page.locator("#quick-summary")
    expect(mirror.locator("button.hl")).to_have_count(4)
    spans = mirror.locator("button.hl").evaluate_all(
        "els => els.map(e => [e.dataset.kind, e.textContent, e.getAttribute('aria-pressed')])"
    )
    assert spans == [
        ["recurrence", "every 3rd friday", "false"],
        ["time", "at 9am", "false"],
        ["tag", "#bills", "false"],
        ["priority", "p1", "false"],
    ]
    expect(summary).to_have_text(
        re.compile(
            r"Adds “pay rent” · due \w{3} \d+ \w{3} 9:00 · every 3rd Friday"
            r" · high priority · #bills"
        )
    )

    mirror.get_by_role(
        "button", name="“p1” read as the priority. Select to keep it as text."
    ).click()
    kept = mirror.get_by_role("button", name="“p1” is kept as text. Select to read it again.")
    expect(kept).to_have_attribute("aria-pressed", "true")
    expect(kept).to_be_focused()
    expect(summary).to_contain_text("Adds “pay rent p1” · due")
    expect(summary).not_to_contain_text("high priority")

    box.press("Home")
    box.press_sequentially("Now ")  # the kept range moves with the text
    expect(summary).to_contain_text("Adds “Now pay rent p1” · due")
    expect(kept).to_have_attribute("aria-pressed", "true")
    page.get_by_role("button", name="Add", exact=True).click()

    expect(
        page.get_by_role("status").filter(has_text="Added “Now pay rent p1” — due")
    ).to_be_visible()
    expect(box).to_have_value("")
    expect(page.locator("#quick-preview")).to_be_hidden()
    added = api(user).find("Now pay rent p1")
    assert added is not None
    assert (added["recurrence"], added["tags"], added["priority"]) == (
        "FREQ=MONTHLY;BYDAY=+3FR",
        ["bills"],
        "medium",
    )
    assert added["timezone"] == "Europe/Berlin" and added["all_day"] is False
    page.get_by_role("link", name="Upcoming").click()
    expect(row(page, "Now pay rent p1")).to_contain_text("every 3rd Friday at 9:00")


def test_a_command_typed_into_quick_add_goes_to_the_chat(
    open_tab: Tabs, api: Callable[[str], Api], user: str
) -> None:
    api(user).task(title="water the plants")
    page = open_tab(user)
    page.get_by_label("Add a task").fill("complete water the plants")
    expect(page.locator("#quick-summary")).to_have_text(
        "Reads as a command (complete): Add sends it to the chat."
    )
    page.get_by_role("button", name="Add", exact=True).click()
    chat = page.get_by_role("complementary", name="Chat")
    expect(chat).to_be_visible()
    expect(chat.get_by_role("log")).to_contain_text(
        "Completed “water the plants”", timeout=TIMEOUT_MS
    )


def test_the_preview_passes_the_audit(audit_tab: OpenTab, user: str) -> None:
    page = audit_tab(user)
    page.get_by_label("Add a task").fill(LINE)
    page.locator("#quick-mirror button.hl").first.click()
    expect(page.locator("#quick-mirror button[aria-pressed=true]")).to_have_count(1)
    assert_accessible(page, "the quick-add preview")
