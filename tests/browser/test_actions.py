"""Complete, reopen, reschedule and delete from the list, each with Undo: complete and
delete wait a few seconds before they reach the server, so Undo leaves no trace."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

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


def toast(page: Page, text: str):  # noqa: ANN201 - a Locator
    return page.get_by_role("status").filter(has_text=text).last


def events_of(client: Api, task_id: str) -> list[str]:
    trail = client.get(f"/api/audit/{client.user}/task/{task_id}").json()["items"]
    return [record["event_type"] for record in trail]


def test_complete_then_undo_leaves_no_trace_and_complete_then_sticks(
    open_tab: Tabs, api: Callable[[str], Api], user: str
) -> None:
    client = api(user)
    task = client.task(title="Feed the cat", due_date=at(local_day(), 23))
    page = open_tab(user)  # Today
    check = row(page, "Feed the cat").get_by_role("button", name="Complete “Feed the cat”")
    check.click()
    expect(row(page, "Feed the cat")).to_have_count(0)
    toast(page, "Completed “Feed the cat”").get_by_role("button", name="Undo").click()
    expect(row(page, "Feed the cat")).to_be_visible()
    expect(title_of(page, "Feed the cat")).to_be_focused()

    check.click()
    client.wait_for(task["id"], "the completion", lambda t: t["status"] == "complete")
    assert events_of(client, task["id"]) == ["task.created", "task.completed"]

    page.get_by_role("link", name="Completed").click()
    done = row(page, "Feed the cat")
    expect(done).to_have_attribute("data-status", "complete")
    done.get_by_role("button", name="Reopen “Feed the cat”").click()
    expect(toast(page, "Reopened “Feed the cat”")).to_be_visible()
    expect(row(page, "Feed the cat")).to_have_count(0)
    assert client.get_task(task["id"])["status"] == "pending"


def test_delete_then_undo_keeps_the_task_and_delete_then_removes_it(
    open_tab: Tabs, api: Callable[[str], Api], user: str
) -> None:
    client = api(user)
    task = client.task(title="Old note")
    client.task(title="Daily standup", recurrence="daily", due_date=at(local_day(1), 9))
    page = open_tab(user)
    page.get_by_role("link", name="All").click()
    row(page, "Old note").get_by_role("button", name="Delete “Old note”").click()
    expect(row(page, "Old note")).to_have_count(0)
    toast(page, "Deleted “Old note”").get_by_role("button", name="Undo").click()
    expect(row(page, "Old note")).to_be_visible()
    assert client.get_task(task["id"])["version"] == 1

    row(page, "Old note").get_by_role("button", name="Delete “Old note”").click()
    client.wait_for(task["id"], "the deletion", lambda t: t is None)
    expect(row(page, "Old note")).to_have_count(0)

    row(page, "Daily standup").get_by_role("button", name="Delete “Daily standup”").click()
    expect(toast(page, "Deleted “Daily standup” (its repeats end)")).to_be_visible()


def test_reschedule_moves_the_reminder_along_and_undo_moves_both_back(
    open_tab: Tabs, api: Callable[[str], Api], user: str
) -> None:
    client = api(user)
    due, reminder = at(local_day(), 23), at(local_day(), 22, 30)
    task = client.task(title="Call the bank", due_date=due, reminder_time=reminder)
    page = open_tab(user)
    row(page, "Call the bank").get_by_role("button", name="Reschedule “Call the bank”").click()
    page.get_by_role("dialog", name="Reschedule “Call the bank”").get_by_role(
        "button", name="Tomorrow"
    ).click()
    expect(row(page, "Call the bank")).to_have_count(0)  # no longer today
    moved = client.get_task(task["id"])
    assert (moved["due_date"], moved["reminder_time"]) == (
        at(local_day(1), 23),
        at(local_day(1), 22, 30),
    )
    toast(page, "Rescheduled “Call the bank” to Tomorrow 23:00").get_by_role(
        "button", name="Undo"
    ).click()
    expect(row(page, "Call the bank")).to_be_visible()
    back = client.get_task(task["id"])
    assert (back["due_date"], back["reminder_time"]) == (due, reminder)

    row(page, "Call the bank").get_by_role("button", name="Reschedule “Call the bank”").click()
    dialog = page.get_by_role("dialog", name="Reschedule “Call the bank”")
    dialog.get_by_label("Another day").fill("2027-05-04")
    dialog.get_by_role("button", name="Move").click()
    expect(toast(page, "Rescheduled “Call the bank” to Tue, 4 May 2027 23:00")).to_be_visible()
    assert client.get_task(task["id"])["due_date"] == "2027-05-04T21:00:00Z"


def test_leaving_the_page_sends_what_waits_for_its_undo(
    open_tab: Tabs, api: Callable[[str], Api], user: str
) -> None:
    client = api(user)
    task = client.task(title="Water the plants", due_date=at(local_day(), 23))
    page = open_tab(user)
    row(page, "Water the plants").get_by_role("button", name="Complete “Water the plants”").click()
    expect(row(page, "Water the plants")).to_have_count(0)
    page.goto("about:blank")
    client.wait_for(
        task["id"], "the completion sent on leaving", lambda t: t["status"] == "complete"
    )


def test_signing_out_sends_what_waits_for_its_undo(
    open_tab: Tabs, api: Callable[[str], Api], user: str
) -> None:
    client = api(user)
    task = client.task(title="Shred old letters", due_date=at(local_day(), 23))
    page = open_tab(user)
    row(page, "Shred old letters").get_by_role("button", name="Delete “Shred old letters”").click()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    client.wait_for(task["id"], "the deletion sent on signing out", lambda t: t is None)


def test_the_undo_toast_passes_the_audit(
    audit_tab: OpenTab, api: Callable[[str], Api], user: str
) -> None:
    api(user).task(title="Audit the toast", due_date=at(local_day(), 23))
    page = audit_tab(user)
    row(page, "Audit the toast").get_by_role("button", name="Delete “Audit the toast”").click()
    expect(toast(page, "Deleted “Audit the toast”")).to_be_visible()
    assert_accessible(page, "a list with an undo toast")
