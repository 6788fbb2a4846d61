"""The event contract: CloudEvents 1.0 envelopes around one `data` shape.

`data` = {event_id, event_type, schema_version, timestamp, task_id, user_id, payload}.
The JSON Schemas in `contracts/schemas/` and `contracts/asyncapi.yaml` describe
the same thing for other teams; a test validates every emitted event against them.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

SCHEMA_VERSION = "1.1"  # 1.1: task.reopened; all_day and repeat_from in task snapshots
SUPPORTED_MAJOR = 1
CLOUDEVENT_CONTENT_TYPE = "application/cloudevents+json"


class EventType(StrEnum):
    TASK_CREATED = "task.created"
    TASK_UPDATED = "task.updated"
    TASK_COMPLETED = "task.completed"
    TASK_DELETED = "task.deleted"
    TASK_REOPENED = "task.reopened"
    RECURRING_TASK_CREATED = "recurring.task.created"
    REMINDER_SCHEDULED = "reminder.scheduled"
    REMINDER_CANCELLED = "reminder.cancelled"
    REMINDER_DUE = "reminder.due"
    NOTIFICATION_SENT = "notification.sent"
    NOTIFICATION_FAILED = "notification.failed"


class Topic(StrEnum):
    TASK_EVENTS = "task-events"
    TASK_UPDATES = "task-updates"
    REMINDERS = "reminders"
    NOTIFICATIONS = "notifications"


TASK_LIFECYCLE = (
    EventType.TASK_CREATED,
    EventType.TASK_UPDATED,
    EventType.TASK_COMPLETED,
    EventType.TASK_DELETED,
    EventType.TASK_REOPENED,
)


class PoisonEvent(ValueError):
    """The event can never be processed: answer DROP so it goes to the dead-letter topic."""


class UnsupportedVersion(PoisonEvent):
    """The event's major schema_version is one this code does not understand."""


def utcnow() -> datetime:
    return datetime.now(UTC)


def isoformat(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def isoformat_or_none(moment: datetime | None) -> str | None:
    return None if moment is None else isoformat(moment)


@dataclass(frozen=True)
class Event:
    event_type: str
    task_id: str
    user_id: str
    payload: dict[str, Any]
    event_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    schema_version: str = SCHEMA_VERSION
    timestamp: str = field(default_factory=lambda: isoformat(utcnow()))

    def data(self) -> dict[str, Any]:
        """The fields as a CloudEvent's `data` (the payload copied, as `asdict` would, but
        without its walk over every value: this runs for each event on each topic)."""
        data = {name: getattr(self, name) for name in _FIELDS}
        data["payload"] = copy.deepcopy(self.payload)
        return data

    def to_cloudevent(self, source: str, traceparent: str | None = None) -> dict[str, Any]:
        """The structured-mode CloudEvent published as `application/cloudevents+json`."""
        envelope = {
            "specversion": "1.0",
            "id": self.event_id,
            "type": self.event_type,
            "source": source,
            "subject": self.task_id,
            "time": self.timestamp,
            "datacontenttype": "application/json",
            "data": self.data(),
        }
        if traceparent:
            envelope["traceparent"] = traceparent
        return envelope


_FIELDS = tuple(f.name for f in fields(Event))

# The longest value each identifying field may have (the columns that keep them).
_MAX_LENGTH = {"event_id": 64, "event_type": 64, "task_id": 64, "user_id": 128}
_REQUIRED: dict[str, type] = {
    "event_id": str,
    "event_type": str,
    "schema_version": str,
    "timestamp": str,
    "task_id": str,
    "user_id": str,
    "payload": dict,
}


def parse_data(data: Any) -> Event:
    """Validate a CloudEvent's `data`; unknown fields are ignored (same major version)."""
    if not isinstance(data, Mapping):
        raise PoisonEvent("event data is not a JSON object")
    for name, kind in _REQUIRED.items():
        if not isinstance(data.get(name), kind):
            raise PoisonEvent(f"event data field {name!r} is missing or not a {kind.__name__}")
    for name, longest in _MAX_LENGTH.items():
        if not 0 < len(data[name]) <= longest or "\x00" in data[name]:
            raise PoisonEvent(f"event data field {name!r} is not 1-{longest} characters of text")
    major = data["schema_version"].split(".", 1)[0]
    if not (major.isascii() and major.isdigit()):
        raise PoisonEvent(f"schema_version {data['schema_version']!r} is not MAJOR.MINOR")
    if int(major) != SUPPORTED_MAJOR:
        raise UnsupportedVersion(
            f"schema_version {data['schema_version']} has major {major}; "
            f"this consumer understands {SUPPORTED_MAJOR}"
        )
    # A type this code does not know, of a major version it does, is a newer
    # producer's: consumers acknowledge it untouched (their `accept` list).
    return Event(**{name: data[name] for name in _REQUIRED})


def parse_moment(value: Any) -> datetime:
    """Read an RFC 3339 date-time that carries its UTC offset (what `isoformat` writes)."""
    if not isinstance(value, str):
        raise PoisonEvent("must be an RFC 3339 date-time string")
    try:
        parsed = datetime.fromisoformat(value.replace("z", "Z"))
    except ValueError as exc:
        raise PoisonEvent("must be an RFC 3339 date-time, e.g. 2027-01-31T09:00:00+01:00") from exc
    if parsed.tzinfo is None:
        raise PoisonEvent("must include a UTC offset, e.g. Z or +01:00")
    try:
        parsed.astimezone(UTC)
    except OverflowError as exc:  # year 1 or 9999 pushed past the calendar by its offset
        raise PoisonEvent("is outside the years a date-time can be stored in") from exc
    return parsed


def payload_moment(
    payload: Mapping[str, Any], name: str, *, required: bool = False
) -> datetime | None:
    """`payload[name]` as a date-time (None when absent and optional); PoisonEvent if malformed."""
    value = payload.get(name)
    if value is None and not required:
        return None
    try:
        return parse_moment(value)
    except PoisonEvent as exc:
        raise PoisonEvent(f"payload field {name!r} {exc}") from exc
