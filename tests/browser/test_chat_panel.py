"""The chat panel: it talks to /api/chat in one conversation and lists what it did."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.support.browser import (
    TIMEOUT_MS,
    Api,
    OpenTab,
    Tabs,
    assert_accessible,
    row,
)

pytestmark = pytest.mark.browser


def say(page: Page, text: str) -> None:
    chat = page.get_by_role("complementary", name="Chat")
    before = chat.locator(".from-app").count()
    chat.get_by_label("Message", exact=True).fill(text)
    chat.get_by_role("button", name="Send").click()
    expect(chat.locator(".from-app")).to_have_count(before + 1)
    expect(chat.locator(".from-app").last).not_to_have_attribute(
        "aria-busy", "true", timeout=TIMEOUT_MS
    )


def test_the_chat_acts_and_shows_what_it_did(
    open_tab: Tabs, api: Callable[[str], Api], user: str
) -> None:
    page = open_tab(user)
    page.get_by_role("link", name="Upcoming").click()
    page.get_by_role("button", name="Chat").click()
    chat = page.get_by_role("complementary", name="Chat")
    expect(chat.get_by_label("Message", exact=True)).to_be_focused()
    log = chat.get_by_role("log")

    say(page, "add water the plants tomorrow at 9am")
    expect(log.locator(".from-me").last).to_have_text("You: add water the plants tomorrow at 9am")
    answer = log.locator(".from-app").last
    expect(answer).to_contain_text("Added: water the plants, due")
    expect(answer.get_by_role("list", name="What it did")).to_have_text(
        "Added “water the plants” Open"
    )
    expect(row(page, "water the plants")).to_contain_text("Tomorrow 9:00")  # the list follows

    say(page, "what is due tomorrow?")
    answer = log.locator(".from-app").last
    expect(answer).to_contain_text("1. water the plants")
    expect(answer.locator("[data-tool=find_tasks_by_date]")).to_have_text(
        "Looked up tasks: 1 found"
    )

    say(page, "complete 1")  # "1" is the first of the list the chat just showed
    expect(log.locator(".from-app").last.locator("[data-tool=complete_tasks]")).to_contain_text(
        "Completed “water the plants”"
    )
    expect(row(page, "water the plants")).to_have_count(0)
    assert api(user).find("water the plants")["status"] == "complete"  # type: ignore[index]

    log.locator(".from-app").last.get_by_role("button", name="Open “water the plants”").click()
    expect(page.get_by_role("dialog", name="Edit “water the plants”")).to_be_visible()


def test_the_chat_passes_the_audit(audit_tab: OpenTab, user: str) -> None:
    page = audit_tab(user)
    page.get_by_role("button", name="Chat").click()
    say(page, "add buy stamps on friday")
    assert_accessible(page, "the chat")
