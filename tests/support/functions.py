"""The function author's harness: an event from the contract, delivered in-process, and
what the function did with it.

    from tests.support.functions import build_function, contract_event, deliver, rows

    def test_audit_keeps_a_completed_task(function_env):       # env: SQLite in a tmp dir
        app = build_function("audit")                          # as functions-framework runs it
        event = contract_event("task.completed", user_id="ann")  # valid per contracts/schemas
        reply = deliver(app, event, topic="task-events")        # structured, as Dapr sends it
        assert (reply.status_code, status_of(reply)) == (200, "SUCCESS")
        [record] = rows(app, AuditRecord)
        assert record.event_id == event["id"]
        assert deliver(app, event, binary=True).status_code == 200  # Knative's way, a duplicate

`build_function` is `functions_framework.create_app(target, "functions/main.py",
"cloudevent")`, configured from the environment like `functions-framework
--source functions/main.py` (tests/functions/conftest.py's `function_env` gives
each test its own SQLite files). `deliver` wraps the envelope as `todomesh emit`
does (functions/emit.py). Stop an app built here with `context_of(app).stop()`.
tests/functions/harness.py adds what our own suites need on top: deliveries of
malformed data, the sample data in tests/data, a database that goes away.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import functions_framework
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from functions.emit import http_delivery
from functions.identity.tokens import mint_token
from functions.shared.context import AppContext
from functions.shared.events import Event, isoformat, utcnow
from functions.shared.wiring import context
from tests.support.contract import SCHEMAS, load_json, validate_event
from tests.support.envelopes import task_payload

ROOT = Path(__file__).resolve().parents[2]
SOURCE = str(ROOT / "functions" / "main.py")


def build_function(target: str) -> Flask:
    """The app of one consumer function (`audit`, `recurring`, `notify`), as
    functions-framework builds it from functions/main.py with settings from the environment."""
    return functions_framework.create_app(target, SOURCE, "cloudevent")


def context_of(app: Flask) -> AppContext:
    return context(app)


def bearer(app: Flask, user: str, *, admin: bool = False) -> dict[str, str]:
    """Headers with a token of the built-in provider on the app's data directory (the app
    must expect its issuer: TODOMESH_TOKEN_ISSUER, `todomesh dev`'s by default)."""
    token = mint_token(context_of(app).settings.data_dir, user, admin=admin)
    return {"Authorization": f"Bearer {token}"}


def contract_event(
    event_type: str,
    *,
    user_id: str = "alice",
    task_id: str | None = None,
    payload: dict[str, Any] | None = None,
    **changes: Any,
) -> dict[str, Any]:
    """A structured CloudEvent of `event_type`, as its producer publishes it, valid against
    contracts/schemas/<event_type>.json (ContractViolation says what is not).

    The payload is a typical one for the type (a task snapshot, a reminder, a
    notification) with the values the type's schema pins (`const`, `minimum`, and a
    value where it allows no null); `payload` replaces it and `changes` update it.
    """
    schema = load_json(SCHEMAS / f"{event_type}.json")
    task_id = task_id or str(uuid.uuid4())
    body = payload if payload is not None else _typical(event_type, task_id, user_id, schema)
    body = {**body, **changes}
    event = Event(event_type, task_id, user_id, body)
    envelope = event.to_cloudevent(schema["properties"]["source"]["const"])
    validate_event(envelope)
    return envelope


def _typical(event_type: str, task_id: str, user_id: str, schema: dict[str, Any]) -> dict[str, Any]:
    now = isoformat(utcnow())
    if event_type.startswith("reminder."):
        typical: dict[str, Any] = {"task_id": task_id, "user_id": user_id, "title": "Call mum"}
        typical |= {"reminder_time": None, "due_date": None}
    elif event_type.startswith("notification."):
        typical = {"notification_id": str(uuid.uuid4()), "task_id": task_id, "user_id": user_id}
        typical |= {"channel": "in_app", "title": "Call mum", "reminder_time": now}
        typical |= {"due_date": None, "attempts": 1, "error": None}
    else:
        typical = task_payload(task_id, user_id, "Call mum", moment=now)
        if event_type == "recurring.task.created":
            typical |= {"recurrence": "daily", "due_date": now, "occurrence": 2}
            typical |= {"parent_task_id": str(uuid.uuid4())}
    pins = schema["properties"]["data"]["properties"].get("payload", {}).get("properties", {})
    for name, rule in pins.items():
        if "const" in rule:
            typical[name] = rule["const"]
        elif "minimum" in rule:
            typical[name] = max(typical.get(name) or 0, rule["minimum"])
        elif typical.get(name) is not None:
            continue
        elif rule.get("$ref", "").endswith("/timestamp"):
            typical[name] = now
        elif rule.get("type") == "string":
            typical[name] = f"a sample {name}"
    return typical


def deliver(
    app: Flask | FlaskClient,
    envelope: dict[str, Any],
    *,
    topic: str = "task-events",
    binary: bool = False,
    path: str | None = None,
) -> TestResponse:
    """POST `envelope` to the function in-process: structured with Dapr's `pubsubname` and
    `topic` (default), or binary as Knative Eventing sends it; to `/events/<topic>`."""
    client = app.test_client() if isinstance(app, Flask) else app
    headers, body = http_delivery(envelope, binary=binary, topic=topic)
    return client.post(path or f"/events/{topic}", data=body, headers=headers)


def status_of(response: Any) -> str:
    """The Dapr status of a reply: SUCCESS, RETRY or DROP (empty if none)."""
    return (response.get_json(silent=True) or {}).get("status", "")


def rows(app: Flask, model: Any, *order_by: Any) -> list[Any]:
    """Every row of `model` in the app's own schema."""
    with context_of(app).readers() as session:
        return list(session.scalars(select(model).order_by(*order_by)).all())


def outbox(app: Flask) -> list[tuple[str, str, dict[str, Any]]]:
    """What the app wrote to its outbox: [(topic, key, envelope)]."""
    model = context_of(app).outbox
    return [(r.topic, r.partition_key, r.envelope) for r in rows(app, model, model.id)]
