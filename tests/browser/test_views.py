"""The views (Today, Upcoming by day, Overdue, All, Completed), the tag, priority and
search filters, and paging: every list is the API's, filtered and paged by the server."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

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
    titles,
)

pytestmark = pytest.mark.browser


ALL = ["Overdue since yesterday", "Due later today", "Due tomorrow", "Due in three days", "No date"]


def seed(client: Api) -> None:
    today = local_day()
    client.task(title="Overdue since yesterday", due_date=at(local_day(-1), 10))
    client.task(title="Due later today", due_date=at(today, 23, 59))
    client.task(title="Due tomorrow", due_date=at(local_day(1), 9), tags=["work"], priority="high")
    client.task(
        title="Due in three days", due_date=at(local_day(3), 12), all_day=True, tags=["work"],
        priority="low",
    )  # fmt: skip
    client.task(title="No date", tags=["home"], description="remember the milk")
    done = client.task(title="Done already")
    client.post(f"/api/tasks/{done['id']}/complete").raise_for_status()


def view(page: Page, name: str) -> list[str]:
    page.get_by_role("link", name=name).click()
    expect(page.get_by_role("heading", name=name, level=2)).to_be_visible()
    expect(page.locator("#list")).to_have_attribute("aria-busy", "false")
    return titles(page)


def shows(page: Page, expected: list[str]) -> None:
    expect(page.locator("#list li.task .title")).to_have_text(expected)


def test_each_view_and_filter_is_a_query_to_the_api(
    open_tab: Tabs, api: Callable[[str], Api], user: str
) -> None:
    seed(api(user))
    page = open_tab(user)
    asked: list[dict[str, list[str]]] = []
    page.on(
        "request",
        lambda r: "/api/tasks?" in r.url and asked.append(parse_qs(urlsplit(r.url).query)),
    )

    assert view(page, "Today") == ["Due later today"]
    assert view(page, "Overdue") == ["Overdue since yesterday"]
    expect(row(page, "Overdue since yesterday")).to_contain_text("Overdue ·")
    assert view(page, "Upcoming") == ["Due later today", "Due tomorrow", "Due in three days"]
    headings = page.locator("#list h3").all_inner_texts()
    assert headings[0].startswith("Today, ") and headings[1].startswith("Tomorrow, ")
    assert len(headings) == 3 and not headings[2].startswith(("Today", "Tomorrow"))
    assert view(page, "Completed") == ["Done already"]
    assert view(page, "All") == ALL

    filters = page.get_by_role("group", name="Filters")
    filters.get_by_label("Tag").fill("work")
    shows(page, ["Due tomorrow", "Due in three days"])
    filters.get_by_label("Priority").select_option(label="High")
    shows(page, ["Due tomorrow"])
    filters.get_by_role("button", name="Clear filters").click()
    shows(page, ALL)
    filters.get_by_label("Search").fill("milk")  # the notes count
    shows(page, ["No date"])
    page.get_by_role("link", name="Upcoming").click()  # filters stay with the view
    expect(page.locator("#empty")).to_have_text("Nothing coming up.")

    assert all("status" in query and "sort" in query and "limit" in query for query in asked)
    assert {"today", "overdue", "upcoming"} <= {_window(query) for query in asked}
    assert any(
        query.get("tag") == ["work"] and query.get("priority") == ["high"] for query in asked
    )
    assert any(query.get("q") == ["milk"] and query.get("due_from") for query in asked)


def _window(query: dict[str, list[str]]) -> str:
    if "due_from" in query and "due_before" in query:
        return "today"
    return "upcoming" if "due_from" in query else "overdue" if "due_before" in query else "none"


def test_long_lists_come_in_pages(open_tab: Tabs, api: Callable[[str], Api], user: str) -> None:
    client = api(user)
    for n in range(55):
        client.task(title=f"Bulk {n:02d}", tags=["bulk"])
    page = open_tab(user)
    page.get_by_role("link", name="All").click()
    shows(page, [f"Bulk {n:02d}" for n in range(50)])
    client.task(title="Bulk late", tags=["bulk"])  # past the loaded page: waits for the next
    expect(page.locator("#list li.task")).to_have_count(50)
    page.get_by_role("button", name="Load more").click()
    shows(page, [f"Bulk {n:02d}" for n in range(55)] + ["Bulk late"])
    expect(title_of(page, "Bulk 50")).to_be_focused()
    expect(page.get_by_role("button", name="Load more")).to_be_hidden()


def test_the_grouped_view_passes_the_audit(
    audit_tab: OpenTab, api: Callable[[str], Api], user: str
) -> None:
    seed(api(user))
    page = audit_tab(user)
    assert view(page, "Upcoming")
    assert_accessible(page, "the Upcoming view")
    assert view(page, "Overdue")
    assert_accessible(page, "the Overdue view")


def test_a_view_chosen_while_offline_says_the_server_cannot_be_reached(
    open_tab: Tabs, api: Callable[[str], Api], user: str
) -> None:
    seed(api(user))
    page = open_tab(user)
    view(page, "All")
    page.context.set_offline(True)
    page.get_by_role("link", name="Overdue").click()
    expect(page.get_by_role("alert")).to_contain_text("The server cannot be reached")
    page.context.set_offline(False)
    assert view(page, "Today") == ["Due later today"]  # and back online, the view loads
