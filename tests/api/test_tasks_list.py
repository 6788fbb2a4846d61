"""Listing: filters, text search and cursor paging."""

from __future__ import annotations

import pytest

from tests.support.api import Api

pytestmark = pytest.mark.api


def _titles(response) -> list[str]:
    assert response.status_code == 200, response.get_json()
    return [t["title"] for t in response.get_json()["items"]]


@pytest.fixture
def tasks(alice: Api, bob: Api) -> dict[str, dict]:
    made = {
        "a": alice.create(
            title="Alpha report", priority="high", tags=["work"], due_date="2027-01-10T09:00:00Z"
        ),
        "b": alice.create(
            title="Buy bread",
            description="sourdough 100%",
            tags=["home"],
            due_date="2027-02-10T09:00:00Z",
        ),
        "c": alice.create(title="Call mum", priority="low", tags=["home", "family"]),
    }
    alice.post(f"/api/tasks/{made['c']['id']}/complete")
    bob.create(title="Bob's report", tags=["work"])
    return made


def test_list_returns_own_tasks_in_creation_order(alice: Api, tasks) -> None:
    body = alice.get("/api/tasks").get_json()
    assert [t["title"] for t in body["items"]] == ["Alpha report", "Buy bread", "Call mum"]
    assert body["next_cursor"] is None


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=complete", ["Call mum"]),
        ("status=pending", ["Alpha report", "Buy bread"]),
        ("priority=high", ["Alpha report"]),
        ("tag=home", ["Buy bread", "Call mum"]),
        ("tag=family", ["Call mum"]),
        ("q=REPORT", ["Alpha report"]),
        ("q=100%25", ["Buy bread"]),
        ("q=_", []),
        ("due_before=2027-02-01T00:00:00Z", ["Alpha report"]),
        ("due_after=2027-02-01T00:00:00%2B01:00", ["Buy bread"]),
        ("tag=home&status=pending", ["Buy bread"]),
    ],
)
def test_filters(alice: Api, tasks, query: str, expected: list[str]) -> None:
    assert _titles(alice.get(f"/api/tasks?{query}")) == expected


def test_cursor_pages_through_everything_once(alice: Api) -> None:
    made = [alice.create(title=f"task {i:02d}")["id"] for i in range(7)]
    seen, cursor, pages = [], None, 0
    while True:
        path = "/api/tasks?limit=3" + (f"&cursor={cursor}" if cursor else "")
        body = alice.get(path).get_json()
        seen += [t["id"] for t in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == made
    assert pages == 3


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=0", "limit"),
        ("limit=abc", "limit"),
        ("limit=1000", "limit"),
        ("cursor=not-a-cursor", "cursor"),
        ("status=done", "status"),
        ("due_before=yesterday", "due_before"),
    ],
)
def test_bad_filters_are_422(alice: Api, query: str, field: str) -> None:
    response = alice.get(f"/api/tasks?{query}")
    assert response.status_code == 422
    assert response.content_type == "application/problem+json"
    assert [e["field"] for e in response.get_json()["errors"]] == [field]
