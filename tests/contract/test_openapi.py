"""The OpenAPI document against the platform: valid OpenAPI 3.1, served as it is, describing
every user-facing route of every app the one origin serves, and request schemas that accept
exactly what the services accept. (Every documented response: test_openapi_responses.py.)"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator
from openapi_spec_validator import OpenAPIV31SpecValidator, validate

from functions.apps import APP_IDS, build_app
from functions.identity.blueprint import PATHS as IDENTITY_PATHS
from functions.runtime.router import PREFIXES, SIDECAR_ONLY, Router
from functions.shared.settings import Settings
from functions.shared.wiring import context
from functions.todo import create_app
from tests.support.identity import As, identity_settings
from tests.support.openapi import DOCUMENT, FORMATS, METHODS, check_response, errors, operations

pytestmark = pytest.mark.contract

USER = As("alice")
TASKS, TASK = "/api/tasks", "/api/tasks/{task_id}"
PROBES = {("/health", "get"), ("/ready", "get"), ("/metrics", "get"), ("/openapi.json", "get")}


@pytest.fixture
def todo_app(tmp_path: Path) -> Iterator[Flask]:
    app = create_app(identity_settings(Settings(data_dir=tmp_path)))
    yield app
    context(app).stop()


@pytest.fixture
def client(todo_app: Flask) -> FlaskClient:
    return todo_app.test_client()


@pytest.fixture
def every_app(tmp_path: Path) -> Iterator[dict[str, Flask]]:
    """The five apps as the one origin builds them (not started)."""
    settings = identity_settings(Settings(data_dir=tmp_path))
    apps = {app_id: build_app(app_id, settings)[0] for app_id in APP_IDS}
    yield apps
    for app in apps.values():
        context(app).stop()


# --- the document ------------------------------------------------------------------------------


def test_date_time_formats_are_checked() -> None:
    """jsonschema checks `format: date-time` only with rfc3339-validator installed."""
    assert "date-time" in FORMATS.checkers, "pip install rfc3339-validator"


def test_the_document_is_valid_openapi_3_1() -> None:
    assert DOCUMENT["openapi"].startswith("3.1.")
    validate(DOCUMENT, cls=OpenAPIV31SpecValidator)
    for schema in DOCUMENT["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)


def test_every_call_but_the_probes_needs_a_bearer_token() -> None:
    assert DOCUMENT["components"]["securitySchemes"] == {
        "bearer": {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": DOCUMENT["components"]["securitySchemes"]["bearer"]["description"],
        }
    }
    assert DOCUMENT["security"] == [{"bearer": []}]
    for path, method in operations():
        operation = DOCUMENT["paths"][path][method]
        if (path, method) in PROBES:
            assert operation["security"] == [], f"{method} {path} is public"
        else:
            assert "security" not in operation, f"{method} {path} takes the global bearer"
            assert "401" in operation["responses"], f"{method} {path}: no 401"


def test_the_service_serves_this_document(client: FlaskClient) -> None:
    with client.get("/openapi.json") as response:  # send_file: close the file it streams
        assert check_response(response, "/openapi.json", "get") == DOCUMENT


def _flask_routes(app: Flask) -> set[tuple[str, str]]:
    routes = set()
    for rule in app.url_map.iter_rules():
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
        for method in rule.methods or ():
            if method.lower() in METHODS:
                routes.add((path, method.lower()))
    return routes


def _reachable(path: str, app_id: str, router: Router) -> bool:
    """Whether the one origin sends `path` to `app_id` at all."""
    return router.app_for(path) == app_id and not path.startswith((*SIDECAR_ONLY, *IDENTITY_PATHS))


def test_every_route_of_the_origin_is_documented_and_every_documented_one_exists(
    every_app: dict[str, Flask],
) -> None:
    """Every `/api/...` route of every app the one origin (`functions.runtime.router`) sends
    requests to. Left out, and named in the document's description instead: the hub's web
    page and WebSocket (`/`, `/config.json`, `/static/...`, `/ws/...`: not REST), todo's MCP
    endpoint (`/mcp`, an ASGI app: the Model Context Protocol), the built-in identity provider
    (described by its discovery document) and the sidecar-only routes, which the origin
    answers 404."""
    router = Router.__new__(Router)  # app_for needs no platform
    served: set[tuple[str, str]] = set()
    for app_id, app in every_app.items():
        served |= {r for r in _flask_routes(app) if _reachable(r[0], app_id, router)}
    api = {r for r in served if r[0].startswith("/api/")}
    assert api == {r for r in operations() if r[0].startswith("/api/")}
    assert PROBES <= served
    assert operations() == api | PROBES
    assert {app_id for prefix, app_id in PREFIXES if prefix.startswith("/api/")} == {
        "todo",
        "audit",
        "notify",
    }


# --- request schemas agree with validation.py --------------------------------------------------

CREATE_CASES: list[tuple[dict[str, Any], bool]] = [
    ({"title": "x"}, True),
    ({"title": "a" * 200}, True),
    ({"title": "  " + "a" * 200 + "\n"}, True),
    ({"title": "a" * 201}, False),
    ({"title": ""}, False),
    ({"title": " \t "}, False),
    ({"title": 5}, False),
    ({"title": None}, False),
    ({}, False),
    ({"description": "no title"}, False),
    ({"title": "x", "description": None}, True),
    ({"title": "x", "description": "d" * 10_000}, True),
    ({"title": "x", "description": "d" * 10_001}, False),
    ({"title": "x", "status": "in_progress", "priority": "low"}, True),
    ({"title": "x", "status": "done"}, False),
    ({"title": "x", "priority": None}, False),
    ({"title": "x", "tags": [f"t{i}" for i in range(20)]}, True),
    ({"title": "x", "tags": [f"t{i}" for i in range(21)]}, False),
    ({"title": "x", "tags": [" padded ", "b" * 50]}, True),
    ({"title": "x", "tags": ["b" * 51]}, False),
    ({"title": "x", "tags": [""]}, False),
    ({"title": "x", "tags": ["a", 1]}, False),
    ({"title": "x", "tags": None}, False),
    ({"title": "x", "due_date": "2027-01-31T09:00:00+01:00"}, True),
    ({"title": "x", "due_date": "2027-01-31T09:00:00.5Z", "reminder_time": None}, True),
    ({"title": "x", "due_date": "2027-01-31T09:00:00"}, False),
    ({"title": "x", "reminder_time": "tomorrow"}, False),
    ({"title": "x", "due_date": 1700000000}, False),
    ({"title": "x", "timezone": "Europe/Berlin"}, True),
    ({"title": "x", "timezone": None}, True),
    ({"title": "x", "timezone": 3}, False),
    ({"title": "x", "recurrence": "weekly", "due_date": "2027-01-04T09:00:00Z"}, True),
    (
        {"title": "x", "recurrence": "FREQ=WEEKLY;BYDAY=MO", "due_date": "2027-01-04T09:00:00Z"},
        True,
    ),
    ({"title": "x", "recurrence": "daily"}, False),
    ({"title": "x", "recurrence": "daily", "due_date": None}, False),
    ({"title": "x", "recurrence": None}, True),
    ({"title": "x", "recurrence": 7, "due_date": "2027-01-04T09:00:00Z"}, False),
    ({"title": "x", "parent_task_id": None}, True),
    ({"title": "two\nlines"}, False),
    ({"title": "tab\tbed"}, False),
    ({"title": "x", "all_day": True, "due_date": "2027-01-31T09:00:00Z"}, True),
    ({"title": "x", "all_day": "yes"}, False),
    ({"title": "x", "repeat_from": "completion"}, True),
    ({"title": "x", "repeat_from": "never"}, False),
    ({"title": "x", "due_date": "1900-01-01T00:00:00Z"}, True),
    ({"title": "x", "due_date": "0001-01-01T00:00:00Z"}, False),
    ({"title": "x", "reminder_time": "9999-01-01T00:00:00Z"}, False),
    ({"title": "x", "recurrence": "x" * 513, "due_date": "2027-01-04T09:00:00Z"}, False),
    ({"title": "x", "parent_task_id": "too-short"}, False),
    ({"title": "x", "colour": "red"}, False),
    (
        {
            "title": "x",
            "id": 1,
            "user_id": "mallory",
            "version": 9,
            "created_at": "x",
            "updated_at": None,
            "completed_at": [],
            "occurrence": "3",
        },
        True,
    ),
]


@pytest.mark.parametrize(("body", "valid"), CREATE_CASES)
def test_task_create_schema_agrees_with_the_service(
    client: FlaskClient, body: dict[str, Any], valid: bool
) -> None:
    assert (not errors("/components/schemas/TaskCreate", body)) == valid, "the schema disagrees"
    response = client.post(TASKS, json=body, headers=USER)
    assert response.status_code == (201 if valid else 422), response.get_json()


PATCH_CASES: list[tuple[dict[str, Any], bool]] = [
    ({}, True),
    ({"title": "renamed"}, True),
    ({"title": None}, False),
    ({"description": None, "due_date": None, "reminder_time": None, "timezone": None}, True),
    ({"status": "complete"}, True),
    ({"status": None}, False),
    ({"tags": []}, True),
    ({"reminder_time": "2027-01-31T09:00:00-05:00"}, True),
    ({"reminder_time": "2027-01-31"}, False),
    ({"version": 99, "occurrence": None}, True),
    ({"owner": "bob"}, False),
]


@pytest.mark.parametrize(("body", "valid"), PATCH_CASES)
def test_task_patch_schema_agrees_with_the_service(
    client: FlaskClient, body: dict[str, Any], valid: bool
) -> None:
    assert (not errors("/components/schemas/TaskPatch", body)) == valid, "the schema disagrees"
    task = client.post(TASKS, json={"title": "x"}, headers=USER).get_json()
    response = client.patch(f"{TASKS}/{task['id']}", json=body, headers=USER)
    assert response.status_code == (200 if valid else 422), response.get_json()
    if valid:
        check_response(response, TASK, "patch")
