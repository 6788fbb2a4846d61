"""Hostile CloudEvents fuzzed into every delivery route of every app (hypothesis, bounded):
with the database up, no answer is a 5xx (a 503 `RETRY` is for transient faults only), a
poison event Dapr delivered is a 200 `DROP` (so it goes to the dead-letter topic instead of
being retried forever), and anything else refused is a 4xx problem."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from cloudevents.http import from_http
from flask import Flask
from hypothesis import HealthCheck, example, given, settings

from functions import hub, todo
from functions.shared.settings import Settings
from functions.shared.wiring import context
from tests.support.harness import event_data
from tests.support.hostile_events import Delivery, deliveries, known

pytestmark = pytest.mark.functions

EXAMPLES = 100
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,  # one app takes every example, as in production
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)


def _valid(name: str, event_type: str | None = None) -> dict[str, Any]:
    data = event_data(name)
    if event_type:
        data["event_type"] = event_type
    return data


# (app, route, a valid event for it)
ROUTES = [
    ("audit", "/events/task-events", _valid("task_created")),
    ("recurring", "/events/task-events", _valid("task_completed")),
    ("recurring", "/events/ignored", _valid("task_created")),
    ("notify", "/events/reminders", _valid("reminder_due")),
    ("notify", "/events/ignored", _valid("reminder_due")),
    ("hub", "/events/task-updates", _valid("task_created")),
    ("hub", "/events/notifications", _valid("reminder_due", "notification.sent")),
    ("todo", "/events/recurring", _valid("task_created", "recurring.task.created")),
    ("todo", "/events/dead-letters/task-events-dlq", _valid("task_created")),
]
IDS = [f"{target}{route}" for target, route, _ in ROUTES]
# Only daprd calls these (a dead-letter topic's subscription): they always answer as to Dapr.
DAPR_ONLY = ("/events/dead-letters/",)


@pytest.fixture
def make_app(
    settings: Settings, function_app: Callable[[str], Flask]
) -> Iterator[Callable[[str], Flask]]:
    built: list[Flask] = []

    def make(target: str) -> Flask:
        if target in ("hub", "todo"):
            built.append((hub if target == "hub" else todo).create_app(settings))
            return built[-1]
        return function_app(target)

    yield make
    for app in built:
        context(app).stop()


def _from_dapr(delivery: Delivery) -> bool | None:
    """Whether the delivery is a CloudEvent carrying Dapr's `pubsubname` (None: no CloudEvent)."""
    try:
        return from_http(delivery.headers, delivery.body).get("pubsubname") is not None
    except Exception:
        return None


def judge(response: Any, delivery: Delivery, route: str) -> None:
    status, said = response.status_code, response.get_json(silent=True)
    assert status < 500, f"{status} {said}"
    if status < 300:
        assert isinstance(said, dict) and said.get("status") in ("SUCCESS", "DROP"), said
        if said["status"] == "DROP" and not route.startswith(DAPR_ONLY):
            assert _from_dapr(delivery), "DROP for a call that did not come from Dapr"
        return
    assert response.mimetype == "application/problem+json", response.get_data()[:300]
    assert said["status"] == status
    assert not (_from_dapr(delivery) and status == 422), "Dapr would retry a poison event"


@pytest.mark.parametrize(
    ("target", "route", "valid"), ROUTES, ids=[f"{a}{r}" for a, r, _ in ROUTES]
)
def test_hostile_deliveries_are_never_a_server_error(
    make_app: Callable[[str], Flask], target: str, route: str, valid: dict[str, Any]
) -> None:
    client = make_app(target).test_client()

    @FUZZ
    @given(delivery=deliveries(copy.deepcopy(valid)))
    def deliver(delivery: Delivery) -> None:
        response = client.post(route, data=delivery.body, headers=delivery.headers)
        judge(response, delivery, route)

    for case in known(valid):
        deliver = example(delivery=case)(deliver)
    deliver()


@pytest.mark.parametrize(
    ("target", "route", "valid"), ROUTES, ids=[f"{a}{r}" for a, r, _ in ROUTES]
)
def test_the_valid_event_itself_is_a_success(
    make_app: Callable[[str], Flask], target: str, route: str, valid: dict[str, Any]
) -> None:
    """The fuzzing starts from events the routes accept (so mutations reach the handlers)."""
    client = make_app(target).test_client()
    envelope = {
        "specversion": "1.0",
        "id": valid["event_id"],
        "type": valid["event_type"],
        "source": "todo",
        "subject": valid["task_id"],
        "pubsubname": "pubsub",
        "data": valid,
    }
    response = client.post(route, json=envelope, content_type="application/cloudevents+json")
    assert response.get_json() == {"status": "SUCCESS"}
