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
from functions.shared.idempotency import insert_new

AUDITED: tuple[str, ...] = (*TASK_LIFECYCLE, EventType.RECURRING_TASK_CREATED)


def record_event(event: Event, uow: UnitOfWork) -> None:
    """Append `event` to its user's trail (once: a second copy of an event id is ignored)."""
    insert_new(
        uow.session,
        AuditRecord,
        event_id=event.event_id,
        event_type=event.event_type,
        task_id=event.task_id,
        user_id=event.user_id,
        payload=event.payload,
        occurred_at=occurred_at(event),
        recorded_at=utcnow(),
    )


def occurred_at(event: Event) -> datetime:
    """The event's own timestamp; PoisonEvent when it is not RFC 3339 with an offset."""
    try:
        return parse_moment(event.timestamp)
    except PoisonEvent as exc:
        raise PoisonEvent(f"timestamp {event.timestamp!r} {exc}") from exc
