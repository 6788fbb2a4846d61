"""Liveness, readiness, metrics and the OpenAPI document."""

from __future__ import annotations

import pytest

from tests.support.api import Api

pytestmark = pytest.mark.api


def test_health_is_ok(client) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_ready_reports_database_and_outbox_lag(alice: Api, client) -> None:
    alice.create()
    body = client.get("/ready").get_json()
    assert body["status"] == "ready"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["outbox"]["pending"] == 2
    assert body["checks"]["outbox"]["oldest_seconds"] >= 0


def test_metrics_count_requests(alice: Api, client) -> None:
    alice.create()
    text = client.get("/metrics").get_data(as_text=True)
    assert (
        'todomesh_http_requests_total{app="todo",method="POST",route="/api/tasks",status="201"}'
        in text
    )


def test_subscriptions_are_declarative(client) -> None:
    # daprd asks at start-up; an empty list (not a 404/405) says "see dapr/subscriptions".
    assert client.get("/dapr/subscribe").get_json() == []
