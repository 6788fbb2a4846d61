"""Each task's history: its audit trail in the editor, who did what and when."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from functions.launcher.processes import wait_until
from tests.support.browser import Api, Tabs, title_of

pytestmark = pytest.mark.browser


def test_the_editor_shows_the_task_s_history(
    open_tab: Tabs, api: Callable[[str], Api], user: str
) -> None:
    client = api(user)
    task = client.task(title="Renew passport", priority="low")
    changes = {"title": "Renew the passport", "priority": "high", "tags": ["papers"]}
    client.patch(f"/api/tasks/{task['id']}", json=changes).raise_for_status()
    client.post(f"/api/tasks/{task['id']}/complete").raise_for_status()
    client.post(f"/api/tasks/{task['id']}/reopen").raise_for_status()
    trail = f"/api/audit/{user}/task/{task['id']}"
    wait_until(lambda: len(client.get(trail).json()["items"]) == 4, what="the audit trail")

    page = open_tab(user)
    page.get_by_role("link", name="All").click()
    title_of(page, "Renew the passport").click()
    dialog = page.get_by_role("dialog", name="Edit “Renew the passport”")
    dialog.get_by_text("History").click()
    entries = dialog.locator("#history-list li")
    expect(entries).to_have_count(4)
    expect(entries.nth(0)).to_contain_text(f"Created by {user} · Today")
    expect(entries.nth(1)).to_contain_text("Changed by " + user + " · Today")
    expect(entries.nth(1).locator(".changes")).to_have_text(
        "title: “Renew passport” → “Renew the passport”; priority: low → high; tags: none → #papers"
    )
    expect(entries.nth(2)).to_contain_text(f"Completed by {user}")
    expect(entries.nth(3)).to_contain_text(f"Reopened by {user}")
    assert entries.nth(0).locator("time").get_attribute("datetime")
