"""Pure tests of the audit trail's query parsing and cursors."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from werkzeug.datastructures import MultiDict

from functions.audit.queries import AuditQuery
from functions.audit.service import AUDITED, occurred_at
from functions.shared.events import Event, PoisonEvent
from functions.shared.problems import ValidationFailed
from functions.shared.web import encode_cursor


def query(**args: str) -> AuditQuery:
    return AuditQuery.from_args("alice", None, MultiDict(args))


def errors(**args: str) -> set[str]:
    with pytest.raises(ValidationFailed) as failed:
        query(**args)
    return {e["field"] for e in failed.value.extra["errors"]}


def test_no_filters_mean_everything_fifty_at_a_time() -> None:
    assert query() == AuditQuery("alice", limit=50)


def test_filters_are_parsed() -> None:
    parsed = query(
        type="task.deleted",
        since="2026-03-02T10:00:00+01:00",
        until="2026-03-03T00:00:00Z",
        limit="7",
    )
    assert parsed.type == "task.deleted"
    assert parsed.since == datetime(2026, 3, 2, 9, tzinfo=UTC)
    assert parsed.until == datetime(2026, 3, 3, tzinfo=UTC)
    assert parsed.limit == 7


def test_empty_values_are_ignored() -> None:
    assert query(type="", since="", limit="") == AuditQuery("alice")


def test_a_cursor_round_trips() -> None:
    moment = datetime(2026, 3, 2, 9, 0, 0, 123456, tzinfo=UTC)
    assert query(cursor=encode_cursor(moment, 42)).cursor == (moment, 42)


@pytest.mark.parametrize(
    ("args", "fields"),
    [
        ({"type": "reminder.due"}, {"type"}),
        ({"since": "2026-03-02"}, {"since"}),
        ({"until": "2026-03-02T10:00:00"}, {"until"}),
        ({"limit": "201"}, {"limit"}),
        ({"limit": "-1"}, {"limit"}),
        ({"cursor": "bm90IGpzb24"}, {"cursor"}),
        ({"cursor": encode_cursor("2026-03-02T10:00:00Z", "42")}, {"cursor"}),
        ({"cursor": encode_cursor("yesterday", 42)}, {"cursor"}),
        ({"since": "2026-03-02T00:00:00Z", "until": "2026-03-01T00:00:00Z"}, {"until"}),
        ({"type": "x", "since": "y", "limit": "0"}, {"type", "since", "limit"}),
    ],
)
def test_bad_filters_are_named(args: dict[str, str], fields: set[str]) -> None:
    assert errors(**args) == fields


def test_every_task_event_type_is_audited() -> None:
    assert set(AUDITED) == {
        "task.created",
        "task.updated",
        "task.completed",
        "task.deleted",
        "task.reopened",
        "recurring.task.created",
    }


def test_the_record_time_is_the_event_timestamp() -> None:
    event = Event("task.created", "t", "alice", {}, timestamp="2026-03-02T10:00:00.5+01:00")
    assert occurred_at(event) == datetime(2026, 3, 2, 9, 0, 0, 500000, tzinfo=UTC)


@pytest.mark.parametrize("timestamp", ["2026-03-02T10:00:00", "soon", ""])
def test_a_timestamp_without_offset_is_poison(timestamp: str) -> None:
    with pytest.raises(PoisonEvent):
        occurred_at(Event("task.created", "t", "alice", {}, timestamp=timestamp))
