"""The audit handler: every task event becomes one immutable record."""

from __future__ import annotations

from datetime import datetime

from functions.audit.models import AuditRecord
from functions.shared.context import UnitOfWork
from functions.shared.events import (
    TASK_LIFECYCLE,
    Event,
    EventType,
    PoisonEvent,
    parse_moment,
    utcnow,
)
from functions.shared.idempotency import insert_new_many

AUDITED: tuple[str, ...] = (*TASK_LIFECYCLE, EventType.RECURRING_TASK_CREATED)


def record_event(event: Event, uow: UnitOfWork) -> None:
    """Append `event` to its user's trail (once: a second copy of an event id is ignored)."""
    record_events([event], uow)


def record_events(events: list[Event], uow: UnitOfWork) -> list[None]:
    """`record_event` for many events, in one statement."""
    recorded_at = utcnow()
    rows = [
        {
            "event_id": event.event_id,
            "event_type": event.event_type,
            "task_id": event.task_id,
            "user_id": event.user_id,
            "payload": event.payload,
            "occurred_at": occurred_at(event),
            "recorded_at": recorded_at,
        }
        for event in events
    ]
    insert_new_many(uow.session, AuditRecord, rows, "event_id")
    return [None] * len(events)


def occurred_at(event: Event) -> datetime:
    """The event's own timestamp; PoisonEvent when it is not RFC 3339 with an offset."""
    try:
        return parse_moment(event.timestamp)
    except PoisonEvent as exc:
        raise PoisonEvent(f"timestamp {event.timestamp!r} {exc}") from exc
