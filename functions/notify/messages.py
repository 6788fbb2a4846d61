"""What a notification says: to the user (email, webhook body) and to other apps (events)."""

from __future__ import annotations

import html
import uuid
from typing import Any

from functions.notify.models import SENT, Notification
from functions.shared.events import Event, EventType, isoformat

NAMESPACE = uuid.UUID("1d6c8a53-2f0e-4b8e-a7a9-3c2d55c0f3e1")


def outcome_event(notification: Notification) -> Event:
    """`notification.sent` or `notification.failed`, with an id derived from the outcome.

    Announcing one outcome twice (a retried transaction) yields the same event id,
    which every consumer dedupes.
    """
    event_type = (
        EventType.NOTIFICATION_SENT
        if notification.status == SENT
        else EventType.NOTIFICATION_FAILED
    )
    payload = {
        **webhook_body(notification),
        "status": notification.status,
        "attempts": notification.attempts,
        "error": notification.last_error,
    }
    event_id = uuid.uuid5(NAMESPACE, f"{notification.id}:{event_type}")
    return Event(event_type, notification.task_id, notification.user_id, payload, str(event_id))


def webhook_body(notification: Notification) -> dict[str, Any]:
    return {
        "notification_id": notification.id,
        "type": EventType.REMINDER_DUE.value,
        "channel": notification.channel,
        "task_id": notification.task_id,
        "user_id": notification.user_id,
        "title": notification.title,
        "reminder_time": isoformat(notification.reminder_time),
        "due_date": isoformat(notification.due_date) if notification.due_date else None,
    }


def email_subject(notification: Notification) -> str:
    return f"Reminder: {notification.title}"


def email_html(notification: Notification) -> str:
    title = html.escape(notification.title)
    due = (
        f"<p>Due {html.escape(isoformat(notification.due_date))}.</p>"
        if notification.due_date
        else ""
    )
    return f"<p>Reminder: <strong>{title}</strong></p>{due}"


def email_text(notification: Notification) -> str:
    due = f"\nDue {isoformat(notification.due_date)}." if notification.due_date else ""
    return f"Reminder: {notification.title}{due}\n"
