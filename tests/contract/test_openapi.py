"""functions/todo/openapi.json against the todo service's real behaviour."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator
from openapi_spec_validator import OpenAPIV31SpecValidator, validate
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from sqlalchemy.exc import OperationalError
from werkzeug.test import TestResponse

from functions.shared.settings import Settings
from functions.shared.wiring import context
from functions.todo import OPENAPI, create_app
from tests.support.identity import As

pytestmark = pytest.mark.contract

DOC_URI = "urn:todomesh:todo:openapi"
DOCUMENT: dict[str, Any] = json.loads(OPENAPI.read_text(encoding="utf-8"))
REGISTRY = Registry().with_resource(DOC_URI, Resource(DOCUMENT, DRAFT202012))
FORMATS = Draft202012Validator.FORMAT_CHECKER
USER = As("alice")
METHODS = ("get", "put", "post", "delete", "patch")
TASKS, TASK, COMPLETE = "/api/tasks", "/api/tasks/{task_id}", "/api/tasks/{task_id}/complete"
ADMIN = As("alice", admin=True)
LETTERS = "/api/admin/dead-letters"
REPLAY, REPLAY_ALL = f"{LETTERS}/{{letter_id}}/replay", f"{LETTERS}/replay"


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def _at(pointer: str) -> Any:
    node: Any = DOCUMENT
    for part in pointer.lstrip("/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def _follow(pointer: str) -> tuple[str, dict[str, Any]]:
    """The pointer and node a (possibly `$ref`) node at `pointer` stands for."""
    node = _at(pointer)
    while "$ref" in node:
        pointer = node["$ref"].removeprefix("#")
        node = _at(pointer)
    return pointer, node


def _validator(pointer: str) -> Draft202012Validator:
    """Validates against the schema at `pointer`, its `$ref`s resolved in the document."""
    return Draft202012Validator(
        {"$ref": f"{DOC_URI}#{pointer}"}, registry=REGISTRY, format_checker=FORMATS
    )


def _errors(pointer: str, instance: Any) -> list[str]:
    return [
        f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}"
        for e in _validator(pointer).iter_errors(instance)
    ]


def check_response(response: TestResponse, path: str, method: str) -> Any:
    """Assert `response` is what the document declares for path+method+status; return the body."""
    operation = f"/paths/{_escape(path)}/{method}"
    status = str(response.status_code)
    responses = _at(f"{operation}/responses")
    assert status in responses, f"{method.upper()} {path} answered undocumented {status}: " + (
        response.get_data(as_text=True)
    )
    pointer, declared = _follow(f"{operation}/responses/{status}")
    for name in declared.get("headers", {}):
        header_pointer, header = _follow(f"{pointer}/headers/{_escape(name)}")
        value = response.headers.get(name)
        if header.get("required"):
            assert value is not None, f"{method.upper()} {path} {status}: no {name} header"
        if value is not None:
            assert not _errors(f"{header_pointer}/schema", value), (name, value)
    content = declared.get("content")
    if not content:
        assert response.get_data() == b""
        return None
    assert response.mimetype in content, f"{status} is {response.mimetype}, not {list(content)}"
    body = json.loads(response.get_data())
    problems = _errors(f"{pointer}/content/{_escape(response.mimetype)}/schema", body)
    assert not problems, f"{method.upper()} {path} {status}: {problems}"
    return body


def _documented_task_fields(task: dict[str, Any]) -> None:
    assert set(task) == set(DOCUMENT["components"]["schemas"]["Task"]["properties"])


@pytest.fixture
def todo_app(tmp_path: Path) -> Iterator[Flask]:
    app = create_app(Settings(data_dir=tmp_path))
    yield app
    context(app).stop()


@pytest.fixture
def client(todo_app: Flask) -> FlaskClient:
    return todo_app.test_client()


# --- the document ------------------------------------------------------------------------------


def test_date_time_formats_are_checked() -> None:
    """jsonschema checks `format: date-time` only with rfc3339-validator installed."""
    assert "date-time" in FORMATS.checkers, "pip install rfc3339-validator"


def test_the_document_is_valid_openapi_3_1() -> None:
    assert DOCUMENT["openapi"].startswith("3.1.")
    validate(DOCUMENT, cls=OpenAPIV31SpecValidator)
    for name in DOCUMENT["components"]["schemas"]:
        Draft202012Validator.check_schema(_at(f"/components/schemas/{name}"))


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


def test_every_api_route_is_documented_and_every_documented_route_exists(todo_app: Flask) -> None:
    documented = {
        (path, method)
        for path, item in DOCUMENT["paths"].items()
        for method in item
        if method in METHODS
    }
    served = _flask_routes(todo_app)
    assert {r for r in served if r[0].startswith("/api/")} == {
        r for r in documented if r[0].startswith("/api/")
    }
    assert documented <= served
    for path, method in documented:
        operation = DOCUMENT["paths"][path][method]
        public = operation.get("security") == []
        assert public != path.startswith("/api/"), f"{method} {path}: X-User-Id required?"


# --- real responses against the declared ones --------------------------------------------------


class _DatabaseDown:
    """Stands in for the session factory while the database is unreachable."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise OperationalError("SELECT 1", {}, ConnectionRefusedError("database down"))

    begin = __call__


def _all_documented_responses() -> set[tuple[str, str, str]]:
    return {
        (path, method, status)
        for path, item in DOCUMENT["paths"].items()
        for method, operation in item.items()
        if method in METHODS
        for status in operation["responses"]
    }


def test_every_documented_response_is_what_the_service_answers(
    todo_app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: set[tuple[str, str, str]] = set()

    def call(method: str, path: str, url: str | None = None, **kwargs: Any) -> Any:
        with client.open(url or path, method=method.upper(), **kwargs) as response:
            body = check_response(response, path, method)
        seen.add((path, method, str(response.status_code)))
        return response, body

    # 201, 200, 204 and the headers
    response, task = call(
        "post",
        TASKS,
        json={
            "title": " Buy milk ",
            "tags": ["a", "a", "b"],
            "due_date": "2027-01-31T09:00:00+01:00",
        },
        headers=USER,
    )
    assert response.status_code == 201
    assert response.headers["Location"] == f"/api/tasks/{task['id']}"
    assert response.headers["ETag"] == '"1"'
    assert (task["title"], task["tags"], task["due_date"]) == (
        "Buy milk",
        ["a", "b"],
        "2027-01-31T08:00:00Z",
    )
    _documented_task_fields(task)
    other = call("post", TASKS, json={"title": "Second"}, headers=USER)[1]
    url = f"/api/tasks/{task['id']}"
    _, page = call("get", TASKS, "/api/tasks?limit=1&status=pending&q=&tag=", headers=USER)
    assert [t["id"] for t in page["items"]] == [task["id"]] and page["next_cursor"]
    _, page = call("get", TASKS, f"/api/tasks?limit=1&cursor={page['next_cursor']}", headers=USER)
    assert [t["id"] for t in page["items"]] == [other["id"]] and page["next_cursor"] is None
    call("get", TASK, url, headers=USER)
    response, task = call(
        "patch", TASK, url, json={"priority": "high"}, headers={**USER, "If-Match": '"1"'}
    )
    assert response.status_code == 200 and response.headers["ETag"] == '"2"'
    _documented_task_fields(task)
    response, task = call("post", COMPLETE, f"{url}/complete", headers={**USER, "If-Match": "*"})
    assert response.status_code == 200 and task["status"] == "complete"
    call("delete", TASK, f"/api/tasks/{other['id']}", headers=USER)
    for path in ("/health", "/ready", "/openapi.json"):
        call("get", path)

    # 400: not JSON
    for method, path, target in (("post", TASKS, TASKS), ("patch", TASK, url)):
        response, body = call(
            method, path, target, data="{not json", headers=USER, content_type="application/json"
        )
        assert response.status_code == 400
    # 401: no or an unusable X-User-Id
    task_routes = (
        ("post", TASKS, TASKS),
        ("get", TASKS, TASKS),
        ("get", TASK, url),
        ("patch", TASK, url),
        ("delete", TASK, url),
        ("post", COMPLETE, f"{url}/complete"),
    )
    for method, path, target in task_routes:
        for headers in ({}, {"X-User-Id": "   "}, {"X-User-Id": "u" * 129}):
            assert call(method, path, target, json={}, headers=headers)[0].status_code == 401
    # 404: unknown, another user's, deleted
    for target in ("/api/tasks/nope", url.replace(task["id"], other["id"])):
        for method, path, suffix in (
            ("get", TASK, ""),
            ("patch", TASK, ""),
            ("delete", TASK, ""),
            ("post", COMPLETE, "/complete"),
        ):
            assert call(method, path, target + suffix, json={}, headers=USER)[0].status_code == 404
    assert call("get", TASK, url, headers={"X-User-Id": "bob"})[0].status_code == 404
    # 412: a stale If-Match
    live = call("post", TASKS, json={"title": "Live"}, headers=USER)[1]
    live_url = f"/api/tasks/{live['id']}"
    stale = {**USER, "If-Match": 'W/"7", "8"'}
    for method, path, target in (
        ("patch", TASK, live_url),
        ("delete", TASK, live_url),
        ("post", COMPLETE, f"{live_url}/complete"),
    ):
        response, body = call(method, path, target, json={"title": "x"}, headers=stale)
        assert response.status_code == 412 and body["current_version"] == 1
    # 422: every invalid field listed
    response, body = call(
        "post", TASKS, json={"title": "", "colour": "red", "tags": "x"}, headers=USER
    )
    assert {e["field"] for e in body["errors"]} == {"title", "colour", "tags"}
    response, body = call(
        "get", TASKS, "/api/tasks?limit=0&status=done&due_before=soon&cursor=x", headers=USER
    )
    assert {e["field"] for e in body["errors"]} == {"limit", "status", "due_before", "cursor"}
    response, body = call(
        "patch", TASK, url, json={"recurrence": "daily", "due_date": None}, headers=USER
    )
    assert response.status_code == 422 and body["errors"][0]["field"] == "due_date"
    call("post", TASKS, json=["a list"], headers=USER)

    # dead letters, administrators only
    dead = {
        "specversion": "1.0",
        "id": "0b7f3c55-4a5e-4d8e-9b0a-2f6f1f6d2c11",
        "type": "task.updated",
        "source": "todo",
        "subject": task["id"],
        "datacontenttype": "application/json",
        "data": {"event_id": "0b7f3c55-4a5e-4d8e-9b0a-2f6f1f6d2c11", "schema_version": "9.0"},
    }
    delivered = client.post(
        "/events/dead-letters/task-events-dlq",
        data=json.dumps(dead),
        content_type="application/cloudevents+json",
    )
    assert delivered.get_json() == {"status": "SUCCESS"}
    _, page = call("get", LETTERS, f"{LETTERS}?topic=task-events-dlq&state=dead", headers=ADMIN)
    [letter] = page["items"]
    assert (letter["event_id"], letter["partition_key"]) == (dead["id"], task["id"])
    replay = f"{LETTERS}/{letter['id']}/replay"
    assert call("post", REPLAY, replay, headers=ADMIN)[1]["state"] == "replayed"
    assert call("post", REPLAY, replay, headers=ADMIN)[0].status_code == 409
    assert call("post", REPLAY, f"{LETTERS}/999/replay", headers=ADMIN)[0].status_code == 404
    assert call("post", REPLAY_ALL, json={}, headers=ADMIN)[1]["replayed"] == 0
    admin_routes = (
        ("get", LETTERS, LETTERS),
        ("post", REPLAY, replay),
        ("post", REPLAY_ALL, REPLAY_ALL),
    )
    for method, path, target in admin_routes:
        assert call(method, path, target, json={}, headers={})[0].status_code == 401
        assert call(method, path, target, json={}, headers=USER)[0].status_code == 403
    _, body = call("get", LETTERS, f"{LETTERS}?topic=x&state=gone&limit=0&cursor=x", headers=ADMIN)
    assert {e["field"] for e in body["errors"]} == {"topic", "state", "limit", "cursor"}
    _, body = call("post", REPLAY_ALL, json={"topic": "x", "extra": 1}, headers=ADMIN)
    assert {e["field"] for e in body["errors"]} == {"topic", "extra"}
    response, _ = call(
        "post", REPLAY_ALL, data="{not json", headers=ADMIN, content_type="application/json"
    )
    assert response.status_code == 400

    # 503: the database is down
    ctx = context(todo_app)
    monkeypatch.setattr(ctx, "sessions", _DatabaseDown())
    monkeypatch.setattr(ctx, "readers", _DatabaseDown())
    monkeypatch.setattr("functions.shared.wiring.ping", _DatabaseDown())
    for method, path, target in (*task_routes, ("get", "/ready", "/ready")):
        response, body = call(method, path, target, json={"title": "x"}, headers=USER)
        assert response.status_code == 503 and body["dependency"] == "database"
    for method, path, target in admin_routes:
        response, body = call(method, path, target, json={}, headers=ADMIN)
        assert response.status_code == 503 and body["dependency"] == "database"

    assert seen == _all_documented_responses()


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
    assert (not _errors("/components/schemas/TaskCreate", body)) == valid, "the schema disagrees"
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
    assert (not _errors("/components/schemas/TaskPatch", body)) == valid, "the schema disagrees"
    task = client.post(TASKS, json={"title": "x"}, headers=USER).get_json()
    response = client.patch(f"{TASKS}/{task['id']}", json=body, headers=USER)
    assert response.status_code == (200 if valid else 422), response.get_json()
    if valid:
        check_response(response, TASK, "patch")
