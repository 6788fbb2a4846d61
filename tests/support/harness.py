"""Helpers for the function tests: build CloudEvent deliveries, read what an app stored.

`Deliverer` posts event data the way Dapr (structured mode, with `pubsubname`
and `topic`) and Knative Eventing (binary mode, `ce-*` headers) deliver it.
"""

from __future__ import annotations

import copy
import json
import uuid
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, select

from functions.shared.context import AppContext
from functions.shared.db import reader_factory, session_factory
from functions.shared.wiring import context

ROOT = Path(__file__).resolve().parents[2]
SOURCE = str(ROOT / "functions" / "main.py")
DATA = ROOT / "tests" / "data"
CLOSED_PORT_URL = "postgresql+pg8000://nobody@127.0.0.1:9/nowhere"


def context_of(app: Flask) -> AppContext:
    return context(app)


def event_data(name: str, **overrides: Any) -> dict[str, Any]:
    """`tests/data/<name>.json` with a fresh event id; `payload=` merges into the payload."""
    data = copy.deepcopy(json.loads((DATA / f"{name}.json").read_text()))
    data["event_id"] = str(uuid.uuid4())
    payload = overrides.pop("payload", None)
    data.update(overrides)
    if payload:
        data["payload"].update(payload)
    return data


class Deliverer:
    """Posts event `data` to a function as Dapr or Knative would."""

    def __init__(self, client: FlaskClient, path: str, topic: str) -> None:
        self.client, self.path, self.topic = client, path, topic

    def dapr(self, data: Any, **attributes: Any) -> Any:
        """Structured mode, `application/cloudevents+json`, with Dapr's extra attributes."""
        meta = data if isinstance(data, dict) else {}
        envelope = {
            "specversion": "1.0",
            "id": meta.get("event_id", str(uuid.uuid4())),
            "type": meta.get("event_type", "task.created"),
            "source": "todo",
            "subject": meta.get("task_id", "unknown"),
            "time": meta.get("timestamp", "2026-01-01T00:00:00Z"),
            "datacontenttype": "application/json",
            "data": data,
            "pubsubname": "pubsub",
            "topic": self.topic,
            "traceid": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
            "traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
            "tracestate": "",
            **attributes,
        }
        return self.client.post(
            self.path,
            data=json.dumps(envelope),
            headers={"Content-Type": "application/cloudevents+json"},
        )

    def knative(self, data: Any) -> Any:
        """Binary mode: the attributes in `ce-*` headers, the data as the JSON body."""
        meta = data if isinstance(data, dict) else {}
        headers = {
            "ce-specversion": "1.0",
            "ce-id": meta.get("event_id", str(uuid.uuid4())),
            "ce-type": meta.get("event_type", "task.created"),
            "ce-source": "/apis/v1/namespaces/todomesh/kafkasources/task-events",
            "ce-subject": meta.get("task_id", "unknown"),
            "Content-Type": "application/json",
        }
        return self.client.post(self.path, data=json.dumps(data), headers=headers)


def status_of(response: Any) -> str:
    return (response.get_json(silent=True) or {}).get("status", "")


def rows(app: Flask, model: Any, *order_by: Any) -> list[Any]:
    with context_of(app).readers() as session:
        return list(session.scalars(select(model).order_by(*order_by)).all())


def outbox(app: Flask) -> list[tuple[str, str, dict[str, Any]]]:
    """What the app wrote to its outbox: [(topic, key, envelope)]."""
    model = context_of(app).outbox
    return [(r.topic, r.partition_key, r.envelope) for r in rows(app, model, model.id)]


def break_database(app: Flask) -> None:
    """From now on every transaction of `app` meets a database that refuses connections."""
    ctx = context_of(app)
    ctx.engine.dispose()
    dead = create_engine(CLOSED_PORT_URL, connect_args={"timeout": 1})
    ctx.sessions = session_factory(dead)
    ctx.readers = reader_factory(dead)
    ctx.engine = dead
