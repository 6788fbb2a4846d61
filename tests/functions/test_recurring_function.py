"""The recurring function over the CloudEvents harness: next occurrences and series ends."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from functions.recurring.models import Series
from functions.recurring.snapshots import NAMESPACE
from functions.shared.settings import Settings
from functions.todo import create_app as create_todo_app
from tests.support.contract import validate_event
from tests.support.harness import (
    Deliverer,
    break_database,
    context_of,
    event_data,
    outbox,
    rows,
    status_of,
)
from tests.support.identity import As, identity_settings

pytestmark = pytest.mark.functions

ROOT_ID = "6f1d2c4e-8a0b-4f7e-9c3d-1a2b3c4d5e6f"


@pytest.fixture
def recurring(function_app: Callable[[str], Flask]) -> Flask:
    return function_app("recurring")


@pytest.fixture
def deliver(recurring: Flask) -> Deliverer:
    return Deliverer(recurring.test_client(), "/events/task-events", "task-events")


def announced(app: Flask) -> list[dict[str, Any]]:
    """The `recurring.task.created` envelopes in the outbox, each checked against the contract."""
    envelopes = []
    for topic, key, envelope in outbox(app):
        validate_event(envelope, topic=topic, key=key)
        assert (topic, envelope["type"]) == ("task-events", "recurring.task.created")
        envelopes.append(envelope)
    return envelopes


def series(app: Flask) -> Series | None:
    with context_of(app).readers() as session:
        return session.get(Series, ROOT_ID)


def instance(envelope: dict[str, Any]) -> dict[str, Any]:
    """What the todo service would store: the payload, completed as its next event."""
    return envelope["data"]["payload"]


def completed(previous: dict[str, Any] | None = None, **payload: Any) -> dict[str, Any]:
    """`task.completed` of the root (or of the instance `previous` announced)."""
    base = dict(previous or {})
    if previous:
        base.update(status="complete", version=2)
    base.update(payload)
    data = event_data("task_completed", payload=base)
    data["task_id"] = data["payload"]["id"] or data["task_id"]
    return data


def test_completing_the_root_announces_the_second_occurrence(
    recurring: Flask, deliver: Deliverer
) -> None:
    response = deliver.dapr(completed())
    assert (response.status_code, response.get_json()) == (200, {"status": "SUCCESS"})
    [envelope] = announced(recurring)
    payload = instance(envelope)
    assert payload["id"] == str(uuid.uuid5(NAMESPACE, f"{ROOT_ID}:2"))
    assert envelope["subject"] == payload["id"]
    assert envelope["id"] == str(uuid.uuid5(NAMESPACE, f"recurring.task.created:{ROOT_ID}:2"))
    assert payload["due_date"] == "2026-03-03T08:00:00Z"  # 09:00 in Berlin, from the due date
    assert payload["reminder_time"] == "2026-03-03T07:30:00Z"  # the same 30 minutes before
    assert (payload["parent_task_id"], payload["occurrence"]) == (ROOT_ID, 2)
    assert {k: payload[k] for k in ("title", "tags", "timezone", "recurrence", "user_id")} == {
        "title": "Water the plants",
        "tags": ["home"],
        "timezone": "Europe/Berlin",
        "recurrence": "daily",
        "user_id": "alice",
    }
    state = series(recurring)
    assert state is not None
    assert (state.active, state.last_occurrence, state.frequency) == (True, 2, "daily")
    assert state.next_due is not None and state.next_due.isoformat() == "2026-03-03T08:00:00+00:00"


def test_a_root_without_an_occurrence_number_counts_as_the_first(
    recurring: Flask, deliver: Deliverer
) -> None:
    deliver.dapr(completed(occurrence=None))  # made recurring after it was created
    payload = instance(announced(recurring)[0])
    assert (payload["occurrence"], payload["id"]) == (2, str(uuid.uuid5(NAMESPACE, f"{ROOT_ID}:2")))


def test_the_next_due_keeps_local_time_across_daylight_saving(
    recurring: Flask, deliver: Deliverer
) -> None:
    deliver.dapr(completed(due_date="2026-03-28T08:00:00Z", reminder_time=None))
    payload = instance(announced(recurring)[0])
    assert payload["due_date"] == "2026-03-29T07:00:00Z"  # still 09:00 in Berlin, now CEST
    assert payload["reminder_time"] is None


def test_a_chain_of_completions(recurring: Flask, deliver: Deliverer) -> None:
    deliver.dapr(completed())
    second = instance(announced(recurring)[0])
    deliver.knative(completed(second))
    third = instance(announced(recurring)[1])
    assert third["id"] == str(uuid.uuid5(NAMESPACE, f"{ROOT_ID}:3"))
    assert (third["occurrence"], third["due_date"]) == (3, "2026-03-04T08:00:00Z")
    assert series(recurring).last_occurrence == 3  # type: ignore[union-attr]


def test_monthly_series_keep_their_day_from_the_series_start(
    recurring: Flask, deliver: Deliverer
) -> None:
    deliver.dapr(
        completed(recurrence="monthly", due_date="2026-01-31T08:00:00Z", reminder_time=None)
    )
    february = instance(announced(recurring)[0])
    assert february["due_date"] == "2026-02-28T08:00:00Z"
    deliver.dapr(completed(february))
    assert instance(announced(recurring)[1])["due_date"] == "2026-03-31T07:00:00Z"


def test_a_redelivery_announces_nothing_more(recurring: Flask, deliver: Deliverer) -> None:
    data = completed()
    assert status_of(deliver.dapr(data)) == "SUCCESS"
    assert status_of(deliver.dapr(data)) == "SUCCESS"
    assert status_of(deliver.knative(data)) == "SUCCESS"
    assert len(announced(recurring)) == 1


def test_completing_an_old_occurrence_again_announces_nothing(
    recurring: Flask, deliver: Deliverer
) -> None:
    deliver.dapr(completed())
    second = instance(announced(recurring)[0])
    deliver.dapr(completed())  # reopened and completed again: a new event id
    deliver.dapr(completed(second))
    deliver.dapr(completed(second))
    deliver.dapr(completed())
    assert [instance(e)["occurrence"] for e in announced(recurring)] == [2, 3]


def test_deleting_an_instance_ends_the_series(recurring: Flask, deliver: Deliverer) -> None:
    deliver.dapr(completed())
    second = instance(announced(recurring)[0])
    deleted = event_data("task_deleted", task_id=second["id"], payload=second)
    assert status_of(deliver.dapr(deleted)) == "SUCCESS"
    assert (series(recurring).active, series(recurring).ended_reason) == (False, "deleted")  # type: ignore[union-attr]
    assert status_of(deliver.dapr(completed(second))) == "SUCCESS"  # a stale completion
    assert len(announced(recurring)) == 1


def test_deleting_the_root_before_any_completion_ends_the_series(
    recurring: Flask, deliver: Deliverer
) -> None:
    assert status_of(deliver.dapr(event_data("task_deleted"))) == "SUCCESS"
    assert series(recurring).active is False  # type: ignore[union-attr]
    deliver.dapr(completed())  # arrives late
    assert announced(recurring) == []


def test_deleting_a_task_outside_any_series_keeps_no_state(
    recurring: Flask, deliver: Deliverer
) -> None:
    deliver.dapr(event_data("task_deleted", payload={"recurrence": None, "occurrence": None}))
    assert rows(recurring, Series, Series.id) == []


def test_a_finished_count_announces_nothing(recurring: Flask, deliver: Deliverer) -> None:
    deliver.dapr(completed(recurrence="FREQ=DAILY;COUNT=2"))
    second = instance(announced(recurring)[0])
    deliver.dapr(completed(second))
    assert len(announced(recurring)) == 1
    assert (series(recurring).active, series(recurring).ended_reason) == (False, "finished")  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "payload",
    [{"recurrence": None}, {"due_date": None}],
    ids=["not recurring", "no due date"],
)
def test_tasks_that_do_not_repeat_announce_nothing(
    recurring: Flask, deliver: Deliverer, payload: dict[str, Any]
) -> None:
    assert status_of(deliver.dapr(completed(**payload))) == "SUCCESS"
    assert announced(recurring) == []


def test_other_task_events_are_acknowledged_untouched(recurring: Flask, deliver: Deliverer) -> None:
    for name in ("task.created", "task.updated", "recurring.task.created"):
        assert status_of(deliver.dapr(event_data("task_created", event_type=name))) == "SUCCESS"
    assert rows(recurring, Series, Series.id) == []
    assert outbox(recurring) == []


@pytest.mark.parametrize(
    "payload",
    [
        {"recurrence": "every blue moon"},
        {"due_date": "2026-03-02T08:00:00"},
        {"timezone": "Mars/Olympus_Mons"},
        {"occurrence": "two"},
        {"id": None},
    ],
    ids=["bad rule", "no offset", "unknown zone", "bad occurrence", "no id"],
)
def test_a_poison_completion_is_dropped(
    recurring: Flask, deliver: Deliverer, payload: dict[str, Any]
) -> None:
    response = deliver.dapr(completed(**payload))
    assert (response.status_code, status_of(response)) == (200, "DROP")
    binary = deliver.knative(completed(**payload))
    assert (binary.status_code, binary.mimetype) == (422, "application/problem+json")
    assert outbox(recurring) == []


def test_an_unknown_major_version_is_dropped(recurring: Flask, deliver: Deliverer) -> None:
    response = deliver.dapr(completed() | {"schema_version": "2.1"})
    assert (response.status_code, status_of(response)) == (200, "DROP")
    assert rows(recurring, Series, Series.id) == []


def test_unknown_fields_are_accepted(recurring: Flask, deliver: Deliverer) -> None:
    data = completed(colour="red") | {"schema_version": "1.9", "extra": {"a": 1}}
    assert status_of(deliver.dapr(data)) == "SUCCESS"
    assert len(announced(recurring)) == 1


def test_database_down_asks_for_redelivery(recurring: Flask, deliver: Deliverer) -> None:
    break_database(recurring)
    response = deliver.dapr(completed())
    assert (response.status_code, status_of(response)) == (503, "RETRY")


def test_the_todo_service_inserts_the_announced_instance_once(
    recurring: Flask, deliver: Deliverer, settings: Settings
) -> None:
    deliver.dapr(completed())
    [envelope] = announced(recurring)
    todo = create_todo_app(identity_settings(settings.replace(data_dir=settings.data_dir / "todo")))
    try:
        into_todo = Deliverer(todo.test_client(), "/events/recurring", "task-events")
        assert status_of(into_todo.dapr(envelope["data"])) == "SUCCESS"
        assert status_of(into_todo.dapr(envelope["data"])) == "SUCCESS"
        task = (
            todo.test_client()
            .get(f"/api/tasks/{envelope['subject']}", headers=As("alice"))
            .get_json()
        )
        assert (task["occurrence"], task["parent_task_id"], task["due_date"]) == (
            2,
            ROOT_ID,
            "2026-03-03T08:00:00Z",
        )
    finally:
        context_of(todo).stop()


def test_a_series_that_repeats_from_completion_counts_from_the_day_it_was_done(
    recurring: Flask, deliver: Deliverer
) -> None:
    late = completed(
        recurrence="FREQ=DAILY;INTERVAL=3",
        repeat_from="completion",
        completed_at="2026-03-05T16:20:00Z",  # three days after it was due (09:00 Berlin)
        reminder_time=None,
    )
    deliver.dapr(late)
    payload = instance(announced(recurring)[0])
    assert payload["due_date"] == "2026-03-08T08:00:00Z"  # done Mar 5, + 3 days, at 09:00
    assert payload["repeat_from"] == "completion"


def test_a_reopened_occurrence_completed_again_announces_nothing_more(
    recurring: Flask, deliver: Deliverer
) -> None:
    deliver.dapr(completed())
    reopened = completed(status="pending", completed_at=None, version=3)
    reopened["event_type"] = "task.reopened"
    assert status_of(deliver.dapr(reopened)) == "SUCCESS"
    deliver.dapr(completed(version=4))  # the same occurrence, completed a second time
    assert len(announced(recurring)) == 1
    state = series(recurring)
    assert state is not None and state.last_occurrence == 2
