"""Every response the OpenAPI document declares, produced by the platform's one origin (the
embedded router in front of every app, in process) and checked against the document:
status, headers and body. The run ends by asserting that nothing declared was left out."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy.exc import OperationalError
from werkzeug import Response
from werkzeug.test import Client

from functions.identity import mint_token
from functions.identity.keystore import load_or_create
from functions.identity.tokens import TokenIssuer
from functions.runtime.platform import Platform
from functions.shared.asgi import front
from functions.shared.identity.local import read_issuer_record
from functions.shared.security.front_door import MAX_HEADER_BYTES
from functions.shared.settings import Settings
from tests.support.asgi_server import serve_asgi
from tests.support.envelopes import cloud_event
from tests.support.harness import Deliverer, event_data
from tests.support.identity import TEST_ISSUER, TEST_WRITE_LIMIT
from tests.support.openapi import DOCUMENT, check_response, documented_responses, operations

pytestmark = pytest.mark.contract

TASKS, TASK = "/api/tasks", "/api/tasks/{task_id}"
COMPLETE, REOPEN = f"{TASK}/complete", f"{TASK}/reopen"
LETTERS = "/api/admin/dead-letters"
REPLAY, REPLAY_ALL = f"{LETTERS}/{{letter_id}}/replay", f"{LETTERS}/replay"
TRAIL, TASK_TRAIL = "/api/audit/{user_id}", "/api/audit/{user_id}/task/{task_id}"
INBOX, NOTE = "/api/notifications", "/api/notifications/{notification_id}"
PREFS, UNREAD = "/api/notifications/preferences", "/api/notifications/unread-count"
# a valid body for every operation that reads one
BODIES: dict[tuple[str, str], Any] = {
    (TASKS, "post"): {"title": "Buy milk"},
    (TASK, "patch"): {"priority": "high"},
    ("/api/chat", "post"): {"message": "what's due this week"},
    ("/api/parse", "post"): {"text": "Water the plants every monday 9am #home"},
    ("/api/settings", "put"): {"timezone": "Europe/Berlin"},
    (PREFS, "put"): {"channels": ["in_app"]},
    (NOTE, "patch"): {"read": True},
    (REPLAY_ALL, "post"): {},
}
# a body or query each operation refuses with 422
INVALID: dict[tuple[str, str], dict[str, Any]] = {
    (TASKS, "post"): {"json": {"title": ""}},
    (TASKS, "get"): {"query_string": {"limit": "0"}},
    (TASK, "patch"): {"json": {"status": "done"}},
    ("/api/chat", "post"): {"json": {}},
    ("/api/parse", "post"): {"json": {"text": "x", "ignore": [[3, 1]]}},
    ("/api/settings", "put"): {"json": {"timezone": "Mars/Olympus"}},
    (TRAIL, "get"): {"query_string": {"since": "2027-01-02T00:00:00Z", "until": "2027-01-01"}},
    (TASK_TRAIL, "get"): {"query_string": {"type": "task.exploded"}},
    (INBOX, "get"): {"query_string": {"unread": "maybe"}},
    (NOTE, "patch"): {"json": {"read": "yes"}},
    (PREFS, "put"): {"json": {"channels": ["email"]}},
    (LETTERS, "get"): {"query_string": {"state": "gone"}},
    (REPLAY_ALL, "post"): {"json": {"topic": "x"}},
}
PUBLIC = {"/health", "/ready", "/metrics", "/openapi.json"}


class Origin:
    """The one origin in process, and every response seen through it as (path, method, status)."""

    def __init__(self, platform: Platform) -> None:
        self.platform, self.client = platform, Client(platform.wsgi)
        self.seen: set[tuple[str, str, str]] = set()
        self.ids: dict[str, str] = {}

    def bearer(self, user: str, admin: bool = False) -> dict[str, str]:
        token = mint_token(self.platform.settings.data_dir, user, admin=admin)
        return {"Authorization": f"Bearer {token}"}

    def expired(self, user: str) -> dict[str, str]:
        """A token of the platform's own key and issuer that expired an hour ago."""
        data_dir = self.platform.settings.data_dir
        record = read_issuer_record(data_dir)
        assert record is not None
        issuer = TokenIssuer(load_or_create(data_dir), record.issuer, record.audience)
        token = issuer.access_token(user, admin=False, ttl=60, now=time.time() - 3600)
        return {"Authorization": f"Bearer {token}"}

    def url(self, path: str, **ids: str) -> str:
        return path.format(**{**self.ids, **ids})

    def call(self, method: str, path: str, url: str | None = None, **kwargs: Any) -> Any:
        response = self.client.open(url or self.url(path), method=method.upper(), **kwargs)
        with response:
            return self.check(response, path, method)

    def check(self, response: Any, path: str, method: str) -> Any:
        body = check_response(response, path, method)
        self.seen.add((path, method, str(response.status_code)))
        response.body = body
        return response

    def deliver(self, app_id: str, path: str, topic: str, data: dict[str, Any]) -> None:
        client = self.platform.apps[app_id].test_client()
        response = Deliverer(client, path, topic).dapr(data)
        assert response.get_json() == {"status": "SUCCESS"}, response.get_json()


def _settings(data_dir: Path, **changes: Any) -> Settings:
    return Settings(
        data_dir=data_dir, token_issuer=TEST_ISSUER, rate_limit_writes=TEST_WRITE_LIMIT
    ).replace(**changes)


@pytest.fixture
def make_origin(tmp_path: Path) -> Iterator[Any]:
    made: list[Platform] = []

    def make(**changes: Any) -> Origin:
        made.append(Platform(_settings(tmp_path / f"data{len(made)}", **changes)))
        return Origin(made[-1])

    yield make
    for platform in made:
        for ctx in platform.contexts.values():
            ctx.stop()
        platform.runtime.engine.dispose()


class _DatabaseDown:
    """Stands in for a session factory while the database is unreachable."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise OperationalError("SELECT 1", {}, ConnectionRefusedError("database down"))

    begin = __call__


def _protected() -> list[tuple[str, str]]:
    return sorted(op for op in operations() if op[0] not in PUBLIC)


def _writes() -> list[tuple[str, str]]:
    """The operations that spend the write budget (a preview that changes nothing does not)."""
    return [op for op in _protected() if "429" in DOCUMENT["paths"][op[0]][op[1]]["responses"]]


def _request(origin: Origin, path: str, method: str, headers: dict[str, str]) -> Any:
    body = BODIES.get((path, method))
    return origin.call(method, path, json=body, headers=headers)


def _successes(origin: Origin, alice: dict[str, str], admin: dict[str, str]) -> None:
    created = origin.call("post", TASKS, json={"title": "Buy milk"}, headers=alice)
    assert created.status_code == 201
    origin.ids.update(task_id=created.body["id"], user_id="alice")
    doomed = origin.call("post", TASKS, json={"title": "Doomed"}, headers=alice).body
    origin.call("get", TASKS, query_string={"sort": "due", "status": "open"}, headers=alice)
    origin.call("get", TASK, headers=alice)
    origin.call("patch", TASK, json={"priority": "high"}, headers=alice | {"If-Match": '"1"'})
    assert origin.call("post", COMPLETE, headers=alice).body["status"] == "complete"
    assert origin.call("post", REOPEN, headers=alice).body["status"] == "pending"
    assert origin.call("delete", TASK, origin.url(TASK, task_id=doomed["id"]), headers=alice)
    for (path, method), body in BODIES.items():
        if path.startswith(("/api/chat", "/api/parse", "/api/settings")):
            origin.call(method, path, json=body, headers=alice)
    origin.call("get", "/api/settings", headers=alice)
    # what the consumers keep, delivered as Dapr would
    task_id = origin.ids["task_id"]
    origin.deliver("audit", "/events/task-events", "task-events", event_data("task_created"))
    created_event = event_data("task_created", user_id="alice", task_id=task_id)
    origin.deliver("audit", "/events/task-events", "task-events", created_event)
    assert origin.call("get", TRAIL, headers=alice).body["items"]
    assert origin.call("get", TASK_TRAIL, headers=alice).body["items"]
    origin.deliver("notify", "/events/reminders", "reminders", event_data("reminder_due"))
    [note] = origin.call("get", INBOX, headers=alice).body["items"]
    origin.ids["notification_id"] = note["id"]
    assert origin.call("get", UNREAD, headers=alice).body == {"unread": 1}
    assert origin.call("patch", NOTE, json={"read": True}, headers=alice).body["read"] is True
    origin.call("get", PREFS, headers=alice)
    origin.call("put", PREFS, json=BODIES[(PREFS, "put")], headers=alice)
    # a dead letter, kept by todo and replayed by an administrator
    dead = cloud_event("task.updated", task_id, "alice", {"id": task_id}, schema_version="9.0")
    todo = origin.platform.apps["todo"].test_client()
    kept = todo.post(
        "/events/dead-letters/task-events-dlq",
        data=json.dumps(dead),
        content_type="application/cloudevents+json",
    )
    assert kept.get_json() == {"status": "SUCCESS"}
    [letter] = origin.call("get", LETTERS, headers=admin).body["items"]
    origin.ids["letter_id"] = str(letter["id"])
    assert origin.call("post", REPLAY, headers=admin).status_code == 202
    assert origin.call("post", REPLAY, headers=admin).status_code == 409
    origin.call("post", REPLAY_ALL, json={}, headers=admin)
    for path in PUBLIC:
        with origin.client.get(path) as response:  # send_file: close the file it streams
            origin.check(response, path, "get")


def _refusals(origin: Origin, alice: dict[str, str], admin: dict[str, str]) -> None:
    expired = origin.expired("alice")
    for path, method in _protected():
        token = admin if path.startswith(LETTERS) else alice
        for headers in ({}, {"Authorization": "Bearer"}, {"Authorization": "Basic x"}, expired):
            assert _request(origin, path, method, headers).status_code == 401, (path, method)
        if path.startswith(LETTERS):
            assert _request(origin, path, method, alice).status_code == 403
        if (path, method) in BODIES:
            bad = origin.call(method, path, data="{not json", headers=token)
            assert bad.status_code == 400, (path, method)
            huge = {"padding": "x" * (1 << 20)}
            assert origin.call(method, path, json=huge, headers=token).status_code == 413
        if (path, method) in INVALID:
            refused = origin.call(method, path, headers=token, **INVALID[(path, method)])
            assert refused.status_code == 422, (path, method, refused.body)
    for path in (TRAIL, TASK_TRAIL):
        assert origin.call("get", path, origin.url(path, user_id="bob"), headers=alice)
    nobody = {"task_id": str(uuid.uuid4()), "notification_id": str(uuid.uuid4())}
    for path, method in ((TASK, "get"), (TASK, "patch"), (TASK, "delete"), (COMPLETE, "post"),
                         (REOPEN, "post"), (NOTE, "patch")):  # fmt: skip
        url = origin.url(path, **nobody)
        body = BODIES.get((path, method))
        assert origin.call(method, path, url, json=body, headers=alice).status_code == 404
    unknown = {"message": "hello", "conversation_id": "nope"}
    assert origin.call("post", "/api/chat", json=unknown, headers=alice).status_code == 404
    missing = origin.url(REPLAY, letter_id="999")
    assert origin.call("post", REPLAY, missing, headers=admin).status_code == 404
    origin.call("post", COMPLETE, headers=alice)  # reopening checks If-Match on a complete task
    stale = alice | {"If-Match": 'W/"7", "8"'}
    for path, method in ((TASK, "patch"), (REOPEN, "post"), (TASK, "delete")):
        refused = origin.call(method, path, json={"title": "x"}, headers=stale)
        assert refused.status_code == 412 and refused.body["current_version"] >= 1
    origin.call("post", REOPEN, headers=alice)  # pending again: complete checks it too
    assert origin.call("post", COMPLETE, headers=stale).status_code == 412


def _database_down(origin: Origin, alice: dict[str, str], admin: dict[str, str], mp: Any) -> None:
    for ctx in origin.platform.contexts.values():
        mp.setattr(ctx, "sessions", _DatabaseDown())
        mp.setattr(ctx, "readers", _DatabaseDown())
    mp.setattr("functions.shared.wiring.ping", _DatabaseDown())
    for path, method in _protected():
        token = admin if path.startswith(LETTERS) else alice
        response = _request(origin, path, method, token)
        assert response.status_code == 503 and response.body["dependency"] == "database"
    not_ready = origin.call("get", "/ready")
    assert not_ready.status_code == 503 and not_ready.body["apps"]["todo"]["status"] == 503


def test_every_documented_response_is_what_the_origin_answers(
    make_origin: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    origin = make_origin()
    alice, admin = origin.bearer("alice"), origin.bearer("root", admin=True)
    _successes(origin, alice, admin)
    _refusals(origin, alice, admin)

    # 429: a caller past their write budget, on an origin that allows one write an hour
    limited = make_origin(rate_limit_writes="1/hour")
    burst = limited.bearer("burst", admin=True)
    limited.ids.update(origin.ids)
    limited.call("post", TASKS, json={"title": "spent"}, headers=burst)
    limited.call("put", PREFS, json={"channels": ["in_app"]}, headers=burst)
    for path, method in _writes():
        assert _request(limited, path, method, burst).status_code == 429, (path, method)
    origin.seen |= limited.seen

    # 431: headers over the limit, refused by the ASGI front before any app
    big = {"X-Padding": "x" * MAX_HEADER_BYTES}
    app = front(origin.platform.wsgi, [], start=lambda: None, stop=lambda: None)
    with serve_asgi(app) as served:
        for path, method in sorted(operations()):
            answer = requests.request(
                method, served.url + origin.url(path), headers=big | alice, timeout=10
            )
            response = Response(answer.content, answer.status_code, list(answer.headers.items()))
            assert origin.check(response, path, method).status_code == 431

    _database_down(origin, alice, admin, monkeypatch)
    assert origin.seen == documented_responses()
    assert DOCUMENT["paths"]  # the document was read
