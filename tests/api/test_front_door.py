"""The ASGI front every process serves through: oversized headers are a 431 problem, and a
path of any characters reaches the apps, which answer problem+json."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from flask import Flask

from functions.shared.asgi import front
from functions.shared.security.front_door import MAX_HEADER_BYTES
from tests.support.asgi_server import Served, serve_asgi
from tests.support.identity import As

pytestmark = pytest.mark.api

PROBLEM = "application/problem+json"


@pytest.fixture
def served(todo_app: Flask) -> Iterator[Served]:
    """The todo service behind the ASGI front, on uvicorn (its context is the fixture's)."""
    with serve_asgi(front(todo_app, [], start=lambda: None, stop=lambda: None)) as server:
        yield server


def test_headers_over_the_limit_are_431(served: Served) -> None:
    big = {"X-Padding": "x" * MAX_HEADER_BYTES}
    response = requests.get(f"{served.url}/api/tasks", headers={**As("alice"), **big}, timeout=10)
    assert response.status_code == 431
    assert response.headers["Content-Type"] == PROBLEM
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    body = response.json()
    assert (body["status"], body["instance"]) == (431, "/api/tasks")
    assert str(MAX_HEADER_BYTES) in body["detail"]


def test_headers_under_the_limit_pass(served: Served) -> None:
    padding = {"X-Padding": "x" * (MAX_HEADER_BYTES // 2)}
    response = requests.get(
        f"{served.url}/api/tasks", headers={**As("alice"), **padding}, timeout=10
    )
    assert response.status_code == 200
    assert response.json()["items"] == []


@pytest.mark.parametrize("path", ["/api/tasks/a%0Ab", "/api/tasks/%0D%0A", "/x%0A/y"])
def test_a_path_with_a_line_break_gets_the_apps_problem(served: Served, path: str) -> None:
    response = requests.get(f"{served.url}{path}", headers=As("alice"), timeout=10)
    assert response.status_code == 404
    assert response.headers["Content-Type"] == PROBLEM
    assert "\n" not in response.json()["instance"]
