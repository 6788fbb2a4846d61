"""A reminder fires while the page is open: a toast on every tab, the inbox and its unread
count, and a desktop notification when allowed and the user looks elsewhere; where
reminders go is edited on the page."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from tests.support.browser import Api, OpenTab, Tabs, assert_accessible

pytestmark = pytest.mark.browser
FIRES_WITHIN_MS = 30_000  # the embedded sweep runs every 5 s
# Records each desktop notification the page makes (runs before the page's own scripts).
RECORD_NOTIFICATIONS = """(() => {
  const Real = window.Notification;
  window.__notified = [];
  class Recording extends Real {
    constructor(title, options) {
      super(title, options);
      window.__notified.push({title, ...options});
    }
  }
  Object.defineProperty(Recording, "permission", { get: () => Real.permission });
  Recording.requestPermission = (...args) => Real.requestPermission(...args);
  window.Notification = Recording;
})();"""


def soon(seconds: int = 2) -> str:
    return (datetime.now(UTC) + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_a_reminder_fires_into_a_toast_the_inbox_and_the_desktop(
    open_tab: Tabs, api: Callable[[str], Api], user: str
) -> None:
    window = open_tab.new_context(permissions=["notifications"])
    window.add_init_script(RECORD_NOTIFICATIONS)
    page, other_tab = open_tab(user, context=window), open_tab(user, context=window)
    page.evaluate("document.hasFocus = () => false")  # the user is looking elsewhere
    task = api(user).task(title="Pay the bill", reminder_time=soon(), due_date=soon(3600))

    for tab in (page, other_tab):
        note = tab.get_by_role("status").filter(has_text="Reminder: Pay the bill — due")
        expect(note).to_be_visible(timeout=FIRES_WITHIN_MS)
    expect(page.locator("#unread")).to_have_text("1")
    expect(page.get_by_role("button", name="Inbox, 1 unread")).to_be_visible()
    notified = page.evaluate("window.__notified")
    assert [(n["title"], n["body"][:3]) for n in notified] == [("Reminder: Pay the bill", "due")]
    assert other_tab.evaluate("window.__notified") == []  # that tab has the user's eyes

    page.get_by_role("button", name="Inbox, 1 unread").click()
    inbox = page.get_by_role("complementary", name="Inbox")
    expect(inbox.get_by_role("heading", name="Inbox")).to_be_focused()
    expect(inbox).to_contain_text("Reminders also show on your desktop.")
    item = inbox.locator("li.note", has_text="Pay the bill")
    expect(item).to_have_attribute("data-read", "false")
    item.get_by_role("button", name="Mark read: Pay the bill").click()
    expect(item).to_have_attribute("data-read", "true")
    expect(page.locator("#unread")).to_be_hidden()
    expect(other_tab.get_by_role("button", name="Inbox", exact=True)).to_be_visible()
    other_tab.get_by_role("button", name="Inbox", exact=True).click()  # its count follows on open
    expect(other_tab.locator("li.note", has_text="Pay the bill")).to_have_attribute(
        "data-read", "true"
    )

    item.get_by_role("button", name="Open task: Pay the bill").click()
    expect(page.get_by_role("dialog", name="Edit “Pay the bill”")).to_be_visible()
    assert api(user).get_task(task["id"])["reminder_time"] is not None


def test_where_reminders_go_is_edited_on_the_page(
    open_tab: Tabs, api: Callable[[str], Api], user: str
) -> None:
    page = open_tab(user)
    page.get_by_role("button", name="Inbox").click()
    inbox = page.get_by_role("complementary", name="Inbox")
    inbox.get_by_text("Where reminders go").click()
    expect(inbox.get_by_label("In this app")).to_be_checked()
    inbox.get_by_label("Email", exact=True).check()
    inbox.get_by_label("Email address").fill("someone@example.com")
    inbox.get_by_role("button", name="Save").click()
    expect(inbox.get_by_role("status").filter(has_text="Saved.")).to_be_visible()
    prefs = api(user).get("/api/notifications/preferences").json()
    assert prefs == {
        "channels": ["in_app", "email"],
        "email": "someone@example.com",
        "webhook_url": None,
    }

    inbox.get_by_label("Webhook", exact=True).check()
    inbox.get_by_label("Webhook URL").fill("http://127.0.0.1/hook")  # a private address
    inbox.get_by_role("button", name="Save").click()
    expect(inbox.locator("#prefs-webhook-error")).to_contain_text("Webhook URL")
    expect(inbox.get_by_label("Webhook URL")).to_have_attribute("aria-invalid", "true")
    assert api(user).get("/api/notifications/preferences").json() == prefs


def test_the_inbox_passes_the_audit(
    audit_tab: OpenTab, api: Callable[[str], Api], user: str
) -> None:
    api(user).task(title="Audit the inbox", reminder_time=soon(0))
    page = audit_tab(user)
    expect(page.locator("#unread")).to_have_text("1", timeout=FIRES_WITHIN_MS)
    page.get_by_role("button", name="Inbox, 1 unread").click()
    page.get_by_text("Where reminders go").click()
    expect(page.locator("li.note")).to_have_count(1)
    assert_accessible(page, "the inbox")
