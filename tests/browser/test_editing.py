"""The editor: every field of a task, recurrence presets and a custom RRULE in words,
saved with If-Match; a change made elsewhere meanwhile is merged or shown."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.support.browser import Api, OpenTab, Tabs, assert_accessible, row

pytestmark = pytest.mark.browser


def open_editor(page: Page, title: str) -> Locator:
    row(page, title).get_by_role("button", name=title, exact=True).click()
    dialog = page.get_by_role("dialog", name=f"Edit “{title}”")
    expect(dialog).to_be_visible()
    return dialog


def save(page: Page, dialog: Locator, title: str) -> None:
    dialog.get_by_role("button", name="Save").click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_role("status").filter(has_text=f"Saved “{title}”").last).to_be_visible()


def test_every_field_can_be_edited(open_tab: Tabs, api: Callable[[str], Api], user: str) -> None:
    client = api(user)
    task_id = client.task(title="Draft the report")["id"]
    page = open_tab(user)
    page.get_by_role("link", name="All").click()
    dialog = open_editor(page, "Draft the report")
    dialog.get_by_label("Title").fill("Write the report")
    dialog.get_by_label("Notes").fill("Two pages, with charts")
    dialog.get_by_label("Status").select_option(label="In progress")
    dialog.get_by_label("Priority").select_option(label="High")
    dialog.get_by_label("Tags").fill("work, #q4")
    dialog.get_by_label("Day").fill("2027-03-05")
    dialog.get_by_label("Time", exact=True).fill("14:30")
    dialog.get_by_label("Reminder").fill("2027-03-05T13:30")
    dialog.get_by_label("Repeats").select_option(label="Every weekday")
    expect(dialog.locator("#f-repeat-text")).to_have_text("Repeats every weekday at 14:30")
    dialog.get_by_label("Counts from").select_option(label="completion")
    save(page, dialog, "Write the report")

    task = client.get_task(task_id)
    assert (task["title"], task["description"]) == ("Write the report", "Two pages, with charts")
    assert (task["status"], task["priority"], task["tags"]) == (
        "in_progress",
        "high",
        ["work", "q4"],
    )
    assert (task["due_date"], task["all_day"]) == ("2027-03-05T13:30:00Z", False)  # 14:30 CET
    assert task["reminder_time"] == "2027-03-05T12:30:00Z"
    assert task["recurrence"] == "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"
    assert (task["repeat_from"], task["timezone"]) == ("completion", "Europe/Berlin")
    line = row(page, "Write the report")
    for shown in (
        "In progress",
        "every weekday at 14:30",
        "High priority",
        "#work",
        "#q4",
        "Notes",
    ):
        expect(line).to_contain_text(shown)

    dialog = open_editor(page, "Write the report")
    expect(dialog.get_by_label("Time", exact=True)).to_have_value("14:30")
    dialog.get_by_label("Repeats").select_option(label="Custom rule…")
    dialog.get_by_label("Rule (RRULE)").fill("FREQ=MONTHLY;BYDAY=+3FR")
    expect(dialog.locator("#f-repeat-text")).to_have_text("Repeats every 3rd Friday at 14:30")
    dialog.get_by_label("Time", exact=True).fill("")
    expect(dialog.locator("#f-repeat-text")).to_have_text("Repeats every 3rd Friday")
    dialog.get_by_label("Time zone").fill("America/New_York")
    save(page, dialog, "Write the report")
    task = client.get_task(task_id)
    assert task["recurrence"] == "FREQ=MONTHLY;BYDAY=+3FR" and task["all_day"] is True
    assert task["timezone"] == "America/New_York"
    assert task["due_date"].startswith("2027-03-06T04:59:59")  # the day's end in New York
    expect(row(page, "Write the report")).to_contain_text("every 3rd Friday")

    dialog = open_editor(page, "Write the report")
    expect(dialog.get_by_label("Repeats")).to_have_value("custom")
    dialog.get_by_label("Repeats").select_option(label="Does not repeat")
    dialog.get_by_label("Day").fill("")
    dialog.get_by_label("Reminder").fill("")
    dialog.get_by_label("Status").select_option(label="Done")
    save(page, dialog, "Write the report")
    task = client.get_task(task_id)
    assert (task["recurrence"], task["due_date"], task["reminder_time"]) == (None, None, None)
    assert task["status"] == "complete" and task["completed_at"] is not None
    expect(row(page, "Write the report")).to_have_count(0)  # All shows open tasks


def test_a_rule_the_server_refuses_is_explained(
    open_tab: Tabs, api: Callable[[str], Api], user: str
) -> None:
    api(user).task(title="Odd one")
    page = open_tab(user)
    page.get_by_role("link", name="All").click()
    dialog = open_editor(page, "Odd one")
    dialog.get_by_label("Repeats").select_option(label="Custom rule…")
    dialog.get_by_label("Rule (RRULE)").fill("FREQ=SOMETIMES")
    expect(dialog.locator("#f-repeat-text")).to_have_text("This rule cannot be read; check it.")
    dialog.get_by_role("button", name="Save").click()
    expect(dialog.get_by_role("alert")).to_contain_text("recurrence")
    expect(dialog).to_be_visible()


def test_a_change_made_elsewhere_meanwhile_is_merged_or_shown(
    open_tab: Tabs, api: Callable[[str], Api], user: str
) -> None:
    client = api(user)
    task_id = client.task(title="Plan the trip")["id"]
    page = open_tab(user)
    page.get_by_role("link", name="All").click()
    dialog = open_editor(page, "Plan the trip")
    dialog.get_by_label("Notes").fill("Trains, not planes")
    client.patch(f"/api/tasks/{task_id}", json={"priority": "high"}).raise_for_status()
    save(page, dialog, "Plan the trip")  # another field: both changes stay
    task = client.get_task(task_id)
    assert (task["description"], task["priority"]) == ("Trains, not planes", "high")

    dialog = open_editor(page, "Plan the trip")
    dialog.get_by_label("Title").fill("Plan the holiday")
    client.patch(f"/api/tasks/{task_id}", json={"title": "Plan the journey"}).raise_for_status()
    dialog.get_by_role("button", name="Save").click()
    expect(dialog.get_by_role("alert")).to_contain_text("Changed elsewhere meanwhile (title)")
    expect(dialog.get_by_label("Title")).to_have_value("Plan the journey")
    assert client.get_task(task_id)["title"] == "Plan the journey"


def test_the_editor_passes_the_audit(
    audit_tab: OpenTab, api: Callable[[str], Api], user: str
) -> None:
    api(user).task(
        title="Audit me", recurrence="FREQ=MONTHLY;BYDAY=+3FR", due_date="2027-01-15T09:00:00Z"
    )
    page = audit_tab(user)
    page.get_by_role("link", name="All").click()
    dialog = open_editor(page, "Audit me")
    dialog.locator("summary", has_text="History").click()
    expect(dialog.locator("#history-list li")).to_have_count(1)
    assert_accessible(page, "the editor")
