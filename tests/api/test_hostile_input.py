"""Hostile input at the todo service's HTTP door, on SQLite and PostgreSQL: each gets a
clear problem+json answer (never a 500) and writes nothing."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.support.api import Api
from tests.support.identity import As

pytestmark = pytest.mark.api

PROBLEM = "application/problem+json"
ALICE = As("alice")
ADMIN = As("root", admin=True)
# RFC 3986: what a URI reference may hold (unreserved, reserved and percent-escapes).
URI_REFERENCE = re.compile(r"(?:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})*")
# (method, path, a valid body) of every route that reads a JSON body
BODY_ROUTES = [
    ("POST", "/api/tasks", {"title": "Buy milk"}),
    ("POST", "/api/chat", {"message": "what's due this week"}),
    ("POST", "/api/parse", {"text": "Buy milk tomorrow"}),
    ("PUT", "/api/settings", {"timezone": "Europe/Berlin"}),
]


def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    body: dict[str, Any] = response.get_json()
    assert body["status"] == status
    return body


@pytest.mark.parametrize(
    "moment",
    [
        "0001-01-01T00:00:00+10:41",  # year 1, pushed before the calendar by its offset
        "9999-12-31T23:59:00-05:00",  # year 9999, pushed past it
        "0001-01-01T00:00:00Z",
        "1899-12-31T23:59:59Z",
        "9999-01-01T00:00:00Z",
    ],
)
def test_a_date_outside_the_years_a_task_can_name_is_422(
    alice: Api, outbox: Callable[[], list[Any]], moment: str
) -> None:
    for field in ("due_date", "reminder_time"):
        body = problem(alice.post("/api/tasks", json={"title": "t", field: moment}), 422)
        assert [e["field"] for e in body["errors"]] == [field]
    task = alice.create()
    body = problem(alice.patch(f"/api/tasks/{task['id']}", json={"due_date": moment}), 422)
    assert [e["field"] for e in body["errors"]] == ["due_date"]
    for name in ("due_before", "due_after", "due_from"):
        body = problem(alice.get("/api/tasks", query_string={name: moment}), 422)
        assert [e["field"] for e in body["errors"]] == [name]
    assert len(outbox()) == 2  # the one task created above, on task-events and task-updates


def test_the_extreme_years_that_are_allowed_are_stored(alice: Api) -> None:
    for moment, stored in (
        ("1900-01-01T00:00:00Z", "1900-01-01T00:00:00Z"),
        ("9998-12-31T18:59:00-05:00", "9998-12-31T23:59:00Z"),
    ):
        assert alice.create(due_date=moment)["due_date"] == stored


@pytest.mark.parametrize(
    "path",
    ["/api/tasks/a%0Ab", "/api/tasks/%C3%A9t%C3%A9", "/api/tasks/%7F%01 x", "/api/tasks/\u2028"],
)
def test_a_problems_instance_is_a_uri_reference_whatever_the_path(
    client: FlaskClient, path: str
) -> None:
    body = problem(client.get(path, headers=ALICE), 404)
    assert URI_REFERENCE.fullmatch(body["instance"]), body["instance"]
    assert body["instance"].startswith("/api/tasks/")


@pytest.mark.parametrize("if_match", ["y", '"x"', "W/", ",", '"1"x'])
def test_a_malformed_if_match_matches_nothing_412(alice: Api, if_match: str) -> None:
    task = alice.create()
    for method, path in (
        ("PATCH", f"/api/tasks/{task['id']}"),
        ("DELETE", f"/api/tasks/{task['id']}"),
        ("POST", f"/api/tasks/{task['id']}/complete"),
    ):
        response = alice.client.open(
            path, method=method, json={"title": "x"}, headers={**ALICE, "If-Match": if_match}
        )
        assert problem(response, 412)["current_version"] == 1
    assert alice.get(f"/api/tasks/{task['id']}").get_json()["version"] == 1


@pytest.mark.parametrize(("method", "path", "valid"), BODY_ROUTES)
@pytest.mark.parametrize(
    ("raw", "says"),
    [
        (b'{"a": NaN}', "NaN is not JSON"),
        (b'{"a": Infinity}', "Infinity is not JSON"),
        (b'{"a": 1e999}', "too large a number"),
        (b'{"a": 1, "a": 2}', "'a' appears twice"),
        (b'{"a": "\xff"}', "not UTF-8"),
        (b"[" * 40 + b"]" * 40, "nested deeper than 32"),
        (b'{"a": "x\\u0000y"}', "NUL character"),
        (b'{"a": ["ok", {"x\\u0000": 1}]}', "NUL character"),
    ],
)
def test_json_a_strict_parser_refuses_is_400(
    client: FlaskClient,
    outbox: Callable[[], list[Any]],
    method: str,
    path: str,
    valid: dict[str, Any],
    raw: bytes,
    says: str,
) -> None:
    # the same shape with the valid body's own first key, so only strictness refuses it
    key = next(iter(valid)).encode()
    data = raw.replace(b'"a"', b'"' + key + b'"')
    response = client.open(
        path, method=method, data=data, headers={**ALICE, "Content-Type": "application/json"}
    )
    assert says.replace("'a'", f"'{key.decode()}'") in problem(response, 400)["detail"]
    assert outbox() == []


@pytest.mark.parametrize(("method", "path", "valid"), BODY_ROUTES)
def test_a_body_over_a_mebibyte_is_413_on_every_route_that_reads_one(
    client: FlaskClient,
    outbox: Callable[[], list[Any]],
    method: str,
    path: str,
    valid: dict[str, Any],
) -> None:
    padded = {**valid, "padding": "x" * (1 << 20)}
    response = client.open(path, method=method, json=padded, headers=ALICE)
    problem(response, 413)
    assert outbox() == []


def test_a_burst_of_writes_past_the_limit_is_429_with_retry_after(
    make_todo_app: Callable[..., Flask],
) -> None:
    client = make_todo_app(rate_limit_writes="3/minute").test_client()
    answers = [client.post("/api/tasks", json={"title": f"t{n}"}, headers=ALICE) for n in range(5)]
    assert [a.status_code for a in answers] == [201, 201, 201, 429, 429]
    refused = problem(answers[3], 429)
    assert "at most 3" in refused["detail"]
    assert 1 <= int(answers[3].headers["Retry-After"]) <= 60
    # another user's budget is their own; reads are not limited
    assert client.post("/api/tasks", json={"title": "b"}, headers=As("bob")).status_code == 201
    listed = client.get("/api/tasks", headers=ALICE)
    assert listed.status_code == 200 and len(listed.get_json()["items"]) == 3


def test_a_dead_letter_id_beyond_a_bigint_is_404(client: FlaskClient) -> None:
    for letter_id in (2**63, 10**40):
        response = client.post(f"/api/admin/dead-letters/{letter_id}/replay", headers=ADMIN)
        problem(response, 404)
    largest = client.post(f"/api/admin/dead-letters/{2**63 - 1}/replay", headers=ADMIN)
    assert "No dead letter" in problem(largest, 404)["detail"]


def _cursor(*position: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(position).encode()).decode().rstrip("=")


@pytest.mark.parametrize("key", [2**63, -(2**63) - 1, 10**30])
def test_a_cursor_whose_key_no_column_holds_is_422(client: FlaskClient, key: int) -> None:
    cursor = _cursor("2027-01-01T00:00:00Z", key)
    response = client.get("/api/admin/dead-letters", query_string={"cursor": cursor}, headers=ADMIN)
    assert [e["field"] for e in problem(response, 422)["errors"]] == ["cursor"]


def test_a_nul_in_a_path_or_a_query_is_refused_before_any_database(client: FlaskClient) -> None:
    """PostgreSQL's text holds no NUL: such a request must not get as far as a column."""
    problem(client.get("/api/tasks/a%00b", headers=ALICE), 404)
    for name in ("q", "tag"):
        response = client.get("/api/tasks", query_string={name: "a\x00"}, headers=ALICE)
        assert [e["field"] for e in problem(response, 422)["errors"]] == [name]
    cursor = _cursor("2027-01-01T00:00:00Z", "a\x00")
    response = client.get("/api/tasks", query_string={"cursor": cursor}, headers=ALICE)
    assert [e["field"] for e in problem(response, 422)["errors"]] == ["cursor"]
