"""A consumer function in two halves (TODOMESH_ROLE): the consumer, scaled on lag, takes
deliveries and answers no query; the query half, scaled on requests, answers queries
and takes no delivery."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask

from functions.audit.models import AuditRecord
from functions.identity.tokens import DEFAULT_ISSUER
from functions.shared.settings import Settings
from tests.support.functions import (
    bearer,
    build_function,
    context_of,
    contract_event,
    deliver,
    rows,
    status_of,
)

pytestmark = pytest.mark.functions


@pytest.fixture
def half(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Callable[[str, str], Flask]]:
    """`half(target, role)`: the function built with TODOMESH_ROLE=role; stopped afterwards."""
    monkeypatch.setenv("TODOMESH_DATA_DIR", str(tmp_path / "fresh"))  # no session identity
    monkeypatch.setenv("TODOMESH_TOKEN_ISSUER", DEFAULT_ISSUER)
    apps: list[Flask] = []

    def build(target: str, role: str) -> Flask:
        monkeypatch.setenv("TODOMESH_ROLE", role)
        apps.append(build_function(target))
        return apps[-1]

    yield build
    for app in apps:
        context_of(app).stop()


def test_the_consumer_half_records_deliveries_and_answers_no_query(half) -> None:
    audit = half("audit", "consumer")
    event = contract_event("task.created", user_id="ann")
    assert status_of(deliver(audit, event)) == "SUCCESS"
    assert [r.event_id for r in rows(audit, AuditRecord)] == [event["id"]]
    reply = audit.test_client().get("/api/audit/ann", headers=bearer(audit, "ann"))
    assert reply.status_code == 404  # no query route; the function takes POSTs on /events/ only


def test_the_query_half_answers_queries_and_takes_no_delivery(half) -> None:
    consumer, query = half("audit", "consumer"), half("audit", "query")  # one database
    event = contract_event("task.created", user_id="ann")
    assert status_of(deliver(consumer, event)) == "SUCCESS"

    refused = deliver(query, contract_event("task.created", user_id="ann"))
    assert refused.status_code == 404
    assert refused.content_type == "application/problem+json"
    reply = query.test_client().get("/api/audit/ann", headers=bearer(query, "ann"))
    assert [item["event_id"] for item in reply.get_json()["items"]] == [event["id"]]
    assert len(rows(query, AuditRecord)) == 1
    assert query.test_client().get("/ready").status_code == 200


def test_the_query_half_of_notify_runs_no_worker_and_keeps_preferences(half) -> None:
    query = half("notify", "query")
    assert context_of(query).workers == []
    client = query.test_client()
    prefs = {"channels": ["in_app"], "email": None, "webhook_url": None}
    put = client.put("/api/notifications/preferences", json=prefs, headers=bearer(query, "ann"))
    assert put.status_code == 200, put.get_json()
    assert client.get("/api/notifications", headers=bearer(query, "ann")).get_json()["items"] == []
    assert [type(w).__name__ for w in context_of(half("notify", "consumer")).workers] == [
        "Pruner",
        "RetryWorker",
    ]


def test_an_unknown_role_is_refused() -> None:
    with pytest.raises(ValueError, match="TODOMESH_ROLE"):
        Settings(role="both")
