"""What the function suites add to the author's harness (tests/support/functions.py):
deliveries of any `data`, malformed included, the sample data in `tests/data/`, and a
database that goes away.

`Deliverer` posts event data the way Dapr (structured mode, with `pubsubname`
and `topic`) and Knative Eventing (binary mode, `ce-*` headers) deliver it.
"""

from __future__ import annotations

import copy
import json
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, create_engine, event
from werkzeug.test import TestResponse

from functions.shared.db import reader_factory, session_factory
from functions.shared.deliveries import BULK_TYPE
from tests.support.functions import ROOT, SOURCE, context_of, deliver, outbox, rows, status_of

__all__ = [
    "SOURCE",
    "Deliverer",
    "break_database",
    "context_of",
    "event_data",
    "outbox",
    "rows",
    "status_of",
    "statuses_of",
]

DATA = ROOT / "tests" / "data"
CLOSED_PORT_URL = "postgresql+pg8000://nobody@127.0.0.1:9/nowhere"
KNATIVE_SOURCE = "/apis/v1/namespaces/todomesh/kafkasources/task-events"


@contextmanager
def statements(engine: Engine, *, this_thread_only: bool = False) -> Iterator[list[str]]:
    """The SQL statements `engine` runs inside the block (a multi-row insert counts once);
    with `this_thread_only`, none that another thread runs meanwhile (a loop's own)."""
    seen: list[str] = []
    caller = threading.current_thread()

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not this_thread_only or threading.current_thread() is caller:
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


def statuses_of(response: TestResponse) -> list[str]:
    """The status of each entry of a bulk reply, in entry order."""
    statuses = {s["entryId"]: s["status"] for s in response.get_json()["statuses"]}
    return [statuses.get(str(index), "") for index in range(len(statuses))]


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
    """Posts event `data` (a CloudEvent's `data`, well-formed or not) to a function as
    Dapr or Knative would."""

    def __init__(self, client: FlaskClient, path: str, topic: str) -> None:
        self.client, self.path, self.topic = client, path, topic

    def dapr(self, data: Any, **attributes: Any) -> TestResponse:
        """Structured mode, `application/cloudevents+json`, with Dapr's extra attributes."""
        envelope = _envelope(data, **attributes)
        return deliver(self.client, envelope, topic=self.topic, path=self.path)

    def bulk(self, *items: Any, headers: dict[str, str] | None = None) -> TestResponse:
        """One Dapr bulk delivery (`bulkSubscribe`) of each item's `data`, entry ids "0", "1"..."""
        entries = [
            {
                "entryId": str(index),
                "event": {**_envelope(data), "pubsubname": "pubsub", "topic": self.topic},
                "contentType": "application/cloudevents+json",
                "metadata": {},
            }
            for index, data in enumerate(items)
        ]
        body = {"id": str(uuid.uuid4()), "type": BULK_TYPE, "topic": self.topic, "entries": entries}
        return self.client.post(self.path, json=body, headers=headers or {})

    def knative(self, data: Any) -> TestResponse:
        """Binary mode: the attributes in `ce-*` headers, the data as the JSON body."""
        envelope = _envelope(data, source=KNATIVE_SOURCE)
        return deliver(self.client, envelope, binary=True, path=self.path)


def _envelope(data: Any, **attributes: Any) -> dict[str, Any]:
    meta = data if isinstance(data, dict) else {}
    return {
        "specversion": "1.0",
        "id": meta.get("event_id", str(uuid.uuid4())),
        "type": meta.get("event_type", "task.created"),
        "source": "todo",
        "subject": meta.get("task_id", "unknown"),
        "time": meta.get("timestamp", "2026-01-01T00:00:00Z"),
        "datacontenttype": "application/json",
        "data": data,
        "traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        **attributes,
    }


def break_database(app: Flask) -> None:
    """From now on every transaction of `app` meets a database that refuses connections."""
    ctx = context_of(app)
    ctx.engine.dispose()
    dead = create_engine(CLOSED_PORT_URL, connect_args={"timeout": 1})
    ctx.sessions = session_factory(dead)
    ctx.readers = reader_factory(dead)
    ctx.engine = dead
