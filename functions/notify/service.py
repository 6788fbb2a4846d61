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
from functions.shared.idempotency import insert_new
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
    prefs = preferences_for(uow.session, event.user_id)
    now = utcnow()
    pending: list[str] = []
    for channel in prefs.channels:
        notification = _new(event, channel, prefs, now)
        if not insert_new(uow.session, Notification, **_columns(notification)):
            continue  # this reminder already reached (or is reaching) this channel
        if notification.status == SENT:
            uow.emit(outcome_event(notification), Topic.NOTIFICATIONS)
        else:
            pending.append(notification.id)
    return pending


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
    stored = session.get(Preferences, user_id)
    if stored is not None:
        return stored
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
