"""The notify handlers: a due reminder becomes one notification per channel; inbox changes.

In-app notifications are only rows, so they are delivered (and announced) in
the transaction that creates them. Email and webhook notifications start
`pending`; `functions.notify.delivery` sends them after this transaction commits.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from functions.notify.messages import outcome_event
from functions.notify.models import (
    EMAIL,
    IN_APP,
    PENDING,
    SENT,
    WEBHOOK,
    Notification,
    Preferences,
)
from functions.shared.context import UnitOfWork
from functions.shared.events import Event, PoisonEvent, Topic, payload_moment, utcnow
from functions.shared.idempotency import insert_new_many
from functions.shared.problems import Problem

DEFAULT_CHANNELS = [IN_APP]


@dataclass(frozen=True)
class MarkRead:
    user_id: str
    notification_id: str
    read: bool


@dataclass(frozen=True)
class SetPreferences:
    user_id: str
    channels: list[str]
    email: str | None
    webhook_url: str | None


def on_reminder_due(event: Event, uow: UnitOfWork) -> list[str]:
    """Create the reminder's notifications that do not exist yet; return the ids of those
    still to be sent (email and webhook; in-app ones are delivered by this commit)."""
    return on_reminders_due([event], uow)[0]


def on_reminders_due(events: list[Event], uow: UnitOfWork) -> list[list[str]]:
    """`on_reminder_due` for many events (a bulk delivery): their users' preferences in one
    query, their notifications in one statement."""
    users = {event.user_id for event in events}
    stored = uow.session.scalars(select(Preferences).where(Preferences.user_id.in_(users)))
    prefs = {p.user_id: p for p in stored}
    now = utcnow()
    made = []
    for event in events:
        chosen = prefs.get(event.user_id) or _default(event.user_id)
        made.append([_new(event, channel, chosen, now) for channel in chosen.channels])
    rows = [_columns(notification) for group in made for notification in group]
    # a notification that exists already is skipped: this reminder already reached (or
    # is reaching) that channel
    inserted = insert_new_many(uow.session, Notification, rows, "id")
    results: list[list[str]] = []
    for group in made:
        pending = []
        for notification in (n for n in group if n.id in inserted):
            if notification.status == SENT:
                uow.emit(outcome_event(notification), Topic.NOTIFICATIONS)
            else:
                pending.append(notification.id)
        results.append(pending)
    return results


def mark_read(cmd: MarkRead, uow: UnitOfWork) -> Notification:
    notification = uow.session.scalars(
        select(Notification).where(
            Notification.id == cmd.notification_id,
            Notification.user_id == cmd.user_id,
            Notification.channel == IN_APP,
        )
    ).first()
    if notification is None:
        raise Problem(404, "Not Found", f"Notification {cmd.notification_id} does not exist.")
    if cmd.read != (notification.read_at is not None):
        notification.read_at = utcnow() if cmd.read else None
    return notification


def set_preferences(cmd: SetPreferences, uow: UnitOfWork) -> Preferences:
    prefs = uow.session.get(Preferences, cmd.user_id) or Preferences(user_id=cmd.user_id)
    prefs.channels, prefs.email, prefs.webhook_url = cmd.channels, cmd.email, cmd.webhook_url
    prefs.updated_at = utcnow()
    uow.session.add(prefs)
    return prefs


def preferences_for(session: Session, user_id: str) -> Preferences:
    """The user's stored choice, or in-app only."""
    return session.get(Preferences, user_id) or _default(user_id)


def _default(user_id: str) -> Preferences:
    return Preferences(user_id=user_id, channels=list(DEFAULT_CHANNELS))


def _new(event: Event, channel: str, prefs: Preferences, now: datetime) -> Notification:
    payload = event.payload
    title = payload.get("title")
    if not isinstance(title, str):
        raise PoisonEvent("payload field 'title' is missing or not a string")
    in_app = channel == IN_APP
    return Notification(
        id=str(uuid.uuid4()),
        user_id=event.user_id,
        task_id=event.task_id,
        reminder_time=payload_moment(payload, "reminder_time", required=True),
        channel=channel,
        title=title[:200],
        due_date=payload_moment(payload, "due_date"),
        target={EMAIL: prefs.email, WEBHOOK: prefs.webhook_url}.get(channel),
        status=SENT if in_app else PENDING,
        attempts=0,
        next_attempt_at=None if in_app else now,
        created_at=now,
        sent_at=now if in_app else None,
    )


def _columns(notification: Notification) -> dict[str, Any]:
    return {c.key: getattr(notification, c.key) for c in Notification.__table__.columns}
