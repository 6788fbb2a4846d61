"""Pure tests of reading task snapshots and building the next occurrence."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from functions.recurring.snapshots import NAMESPACE, TaskSnapshot, instance_id, next_instance
from functions.shared.events import PoisonEvent

ROOT = "6f1d2c4e-8a0b-4f7e-9c3d-1a2b3c4d5e6f"


def snapshot(**changes: Any) -> dict[str, Any]:
    base = {
        "id": ROOT,
        "user_id": "alice",
        "title": "Stand-up",
        "description": "daily sync",
        "priority": "high",
        "tags": ["work"],
        "status": "complete",
        "due_date": "2026-03-02T08:00:00Z",
        "reminder_time": "2026-03-02T07:45:00Z",
        "timezone": "Europe/Berlin",
        "recurrence": "FREQ=WEEKLY;BYDAY=MO,WE",
        "parent_task_id": None,
        "occurrence": 1,
        "version": 3,
    }
    return {**base, **changes}


def test_a_root_is_its_own_series() -> None:
    task = TaskSnapshot.from_payload(snapshot())
    assert (task.series_id, task.occurrence, task.in_series) == (ROOT, 1, True)
    assert task.due == datetime(2026, 3, 2, 8, tzinfo=UTC)


def test_an_instance_belongs_to_its_roots_series() -> None:
    task = TaskSnapshot.from_payload(snapshot(id="other", parent_task_id=ROOT, occurrence=4))
    assert (task.series_id, task.occurrence) == (ROOT, 4)


def test_a_recurring_subtask_starts_its_own_series() -> None:
    task = TaskSnapshot.from_payload(snapshot(id="sub", parent_task_id=ROOT, occurrence=1))
    assert task.series_id == "sub"


def test_a_plain_subtask_is_not_in_a_series() -> None:
    task = TaskSnapshot.from_payload(
        snapshot(recurrence=None, occurrence=None, parent_task_id=ROOT, due_date=None)
    )
    assert task.in_series is False


@pytest.mark.parametrize(
    "change",
    [
        {"id": None},
        {"user_id": 3},
        {"occurrence": 0},
        {"occurrence": "1"},
        {"due_date": "2026-03-02T08:00:00"},
        {"reminder_time": "soon"},
    ],
)
def test_malformed_snapshots_are_poison(change: dict[str, Any]) -> None:
    with pytest.raises(PoisonEvent):
        TaskSnapshot.from_payload(snapshot(**change))


def test_the_next_instance_is_deterministic() -> None:
    task = TaskSnapshot.from_payload(snapshot())
    due = datetime(2026, 3, 4, 8, tzinfo=UTC)
    first, again = next_instance(task, ROOT, 2, due), next_instance(task, ROOT, 2, due)
    assert first.event_id == again.event_id
    assert first.task_id == again.task_id == instance_id(ROOT, 2)
    assert first.task_id == str(uuid.uuid5(NAMESPACE, f"{ROOT}:2"))
    assert first.event_id not in (first.task_id, next_instance(task, ROOT, 3, due).event_id)


def test_the_next_instance_copies_the_task_and_shifts_the_reminder() -> None:
    task = TaskSnapshot.from_payload(snapshot())
    event = next_instance(task, ROOT, 2, datetime(2026, 3, 4, 8, tzinfo=UTC))
    assert event.event_type == "recurring.task.created"
    assert event.payload == {
        "id": instance_id(ROOT, 2),
        "user_id": "alice",
        "title": "Stand-up",
        "description": "daily sync",
        "priority": "high",
        "tags": ["work"],
        "timezone": "Europe/Berlin",
        "recurrence": "FREQ=WEEKLY;BYDAY=MO,WE",
        "repeat_from": "due",
        "all_day": False,
        "due_date": "2026-03-04T08:00:00Z",
        "reminder_time": "2026-03-04T07:45:00Z",
        "parent_task_id": ROOT,
        "occurrence": 2,
    }


def test_no_reminder_stays_no_reminder() -> None:
    task = TaskSnapshot.from_payload(snapshot(reminder_time=None, tags=None))
    event = next_instance(task, ROOT, 2, datetime(2026, 3, 4, 8, tzinfo=UTC))
    assert (event.payload["reminder_time"], event.payload["tags"]) == (None, [])
