"""Task snapshots in, next-occurrence snapshots out, with ids derived from the series.

The next instance's task id is `uuid5(NAMESPACE, "<series id>:<occurrence>")` and
its event id is derived the same way, so announcing one occurrence twice yields
the same task and the same event: the todo service and every consumer dedupe it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from functions.shared.events import Event, EventType, PoisonEvent, isoformat, payload_moment
from functions.shared.recurrence import SERIES_FIELDS

NAMESPACE = uuid.UUID("5b0f8d0e-3a51-4c9b-9c43-6f3f7c1de1a7")


@dataclass(frozen=True)
class TaskSnapshot:
    """What the recurring function needs to know about one task of a series."""

    id: str
    user_id: str
    due: datetime | None
    reminder: datetime | None
    recurrence: str | None
    timezone: str | None
    parent_task_id: str | None
    occurrence: int
    fields: dict[str, Any] = field(default_factory=dict)
    completed_at: datetime | None = None
    repeat_from: str = "due"

    @property
    def series_id(self) -> str:
        """The root task's id. A root's own `parent_task_id` (a subtask's parent) is not it."""
        if self.occurrence <= 1:
            return self.id
        return self.parent_task_id or self.id

    def anchor(self) -> datetime | None:
        """Where the next due is counted from: the due date, or for a series that repeats
        from completion (`every!`), the day it was completed at the due's time of day."""
        if self.due is None or self.repeat_from != "completion" or self.completed_at is None:
            return self.due
        zone = ZoneInfo(self.timezone) if self.timezone else self.due.tzinfo
        due, done = self.due.astimezone(zone), self.completed_at.astimezone(zone)
        return datetime.combine(done.date(), due.time(), tzinfo=zone)

    @property
    def in_series(self) -> bool:
        return bool(self.recurrence) or self.occurrence > 0

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> TaskSnapshot:
        """Read a `task.*` payload; PoisonEvent when a field we rely on is malformed."""
        if not isinstance(payload.get("id"), str) or not isinstance(payload.get("user_id"), str):
            raise PoisonEvent("task snapshot without a string id and user_id")
        occurrence = payload.get("occurrence")
        if occurrence is not None and (not isinstance(occurrence, int) or occurrence < 1):
            raise PoisonEvent(f"occurrence {occurrence!r} is not a positive integer")
        repeat_from = "completion" if payload.get("repeat_from") == "completion" else "due"
        fields = {name: payload.get(name) for name in SERIES_FIELDS}
        fields.update(all_day=payload.get("all_day") is True, repeat_from=repeat_from)
        return cls(
            id=payload["id"],
            user_id=payload["user_id"],
            due=payload_moment(payload, "due_date"),
            reminder=payload_moment(payload, "reminder_time"),
            recurrence=payload.get("recurrence") or None,
            timezone=payload.get("timezone") or None,
            parent_task_id=payload.get("parent_task_id") or None,
            occurrence=occurrence or (1 if payload.get("recurrence") else 0),
            fields=fields,
            completed_at=payload_moment(payload, "completed_at"),
            repeat_from=repeat_from,
        )


def instance_id(series_id: str, occurrence: int) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{series_id}:{occurrence}"))


def next_instance(task: TaskSnapshot, series_id: str, occurrence: int, due: datetime) -> Event:
    """`recurring.task.created` for occurrence `occurrence` of the series, due at `due`."""
    reminder = (
        None if task.reminder is None or task.due is None else due + (task.reminder - task.due)
    )
    payload = {
        **task.fields,
        "id": instance_id(series_id, occurrence),
        "user_id": task.user_id,
        "due_date": isoformat(due),
        "reminder_time": None if reminder is None else isoformat(reminder),
        "parent_task_id": series_id,
        "occurrence": occurrence,
    }
    payload["tags"] = payload.get("tags") or []
    event_id = uuid.uuid5(NAMESPACE, f"{EventType.RECURRING_TASK_CREATED}:{series_id}:{occurrence}")
    return Event(
        EventType.RECURRING_TASK_CREATED, payload["id"], task.user_id, payload, str(event_id)
    )
