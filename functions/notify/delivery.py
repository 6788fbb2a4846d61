"""Sending email and webhook notifications, after the transaction that created them.

Why this shape: a reminder's notifications are committed together with the
event's idempotency claim, so they exist exactly once; the send itself cannot
be part of any transaction. Each attempt therefore goes in three steps:

1. claim (one transaction): count the attempt, log it as `pending`, and push
   `next_attempt_at` out by the backoff. That moved deadline is the lease: no
   other worker or replica picks the notification before it (on PostgreSQL the
   rows are also taken `FOR UPDATE SKIP LOCKED`; SQLite serialises writers).
2. send, outside any transaction.
3. settle (one transaction): mark the attempt and the notification `sent`, or
   keep it `pending` for the next attempt, or `failed` once `max_attempts`
   attempts failed; `notification.sent` / `.failed` go to the outbox with it.

A crash between 1 and 3 leaves the attempt `pending`; the notification is due
again when the lease runs out, so it may be sent a second time: delivery is at
least once per attempt and never more than `max_attempts` times in all. The
first attempt runs right after the creating commit (`deliver(ids)`); the
`RetryWorker` picks up everything else, including notifications a crash left.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta

from sqlalchemy import select, update

from functions.notify.channels import DeliveryFailed, Sender
from functions.notify.messages import outcome_event
from functions.notify.models import FAILED, PENDING, SENT, DeliveryAttempt, Notification
from functions.shared.context import AppContext
from functions.shared.events import Topic, utcnow
from functions.shared.logs import log_context

log = logging.getLogger(__name__)
FIRST_BACKOFF = timedelta(seconds=30)  # the lease: longer than one send's timeouts
MAX_BACKOFF = timedelta(hours=1)
BATCH_SIZE = 50


def backoff(attempt: int) -> timedelta:
    """The wait after attempt number `attempt` (1, 2, ...) before the next one."""
    return min(MAX_BACKOFF, FIRST_BACKOFF * 2 ** (attempt - 1))


class NotificationDelivery:
    def __init__(self, ctx: AppContext, senders: Mapping[str, Sender], max_attempts: int) -> None:
        self.ctx, self.senders, self.max_attempts = ctx, senders, max_attempts

    def deliver(self, ids: list[str] | None = None, now: datetime | None = None) -> int:
        """Attempt every due notification (or only `ids`); return how many were sent."""
        sent = 0
        for _ in range(BATCH_SIZE):  # one claim (and lease) per send: none runs out queued
            claimed = self._claim(ids, now or utcnow())
            if not claimed:
                break
            sent += self._attempt(claimed[0])
        return sent

    def _claim(self, ids: list[str] | None, now: datetime) -> list[Notification]:
        statement = (
            select(Notification)
            .where(
                Notification.status == PENDING,
                Notification.next_attempt_at <= now,
                Notification.attempts < self.max_attempts,
            )
            .order_by(Notification.next_attempt_at)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        if ids is not None:
            statement = statement.where(Notification.id.in_(ids))
        with self.ctx.sessions.begin() as session:
            claimed = session.scalars(statement).all()
            for notification in claimed:
                notification.attempts += 1
                notification.next_attempt_at = now + backoff(notification.attempts)
                session.add(
                    DeliveryAttempt(
                        notification_id=notification.id,
                        number=notification.attempts,
                        status=PENDING,
                        started_at=now,
                    )
                )
        return list(claimed)

    def _attempt(self, notification: Notification) -> int:
        with log_context(task_id=notification.task_id):
            error = self._send(notification)
            self._settle(notification, error)
        return int(error is None)

    def _send(self, notification: Notification) -> str | None:
        """Send once; the reason it failed, or None when it was delivered."""
        about = {
            "notification_id": notification.id,
            "channel": notification.channel,
            "attempt": notification.attempts,
        }
        try:
            self.senders[notification.channel].send(notification)
        except DeliveryFailed as exc:
            error = str(exc)
        except Exception as exc:  # a sender's bug must not leave the notification claimed
            log.exception("sender failed unexpectedly", extra=about)
            error = f"{exc.__class__.__name__}: {exc}"
        else:
            log.info("notification delivered", extra=about)
            return None
        log.warning("notification not delivered", extra={**about, "error": error})
        return error[:500]

    def _settle(self, claimed: Notification, error: str | None) -> None:
        with self.ctx.unit_of_work() as uow:
            uow.session.execute(
                update(DeliveryAttempt)
                .where(
                    DeliveryAttempt.notification_id == claimed.id,
                    DeliveryAttempt.number == claimed.attempts,
                )
                .values(status=FAILED if error else SENT, error=error, finished_at=utcnow())
            )
            notification = uow.session.get(Notification, claimed.id, with_for_update=True)
            if notification is None or notification.status != PENDING:
                return  # a slower twin of this attempt settled it already
            notification.last_error = error
            if error is None:
                notification.status, notification.sent_at = SENT, utcnow()
            elif notification.attempts >= self.max_attempts:
                notification.status = FAILED
            else:
                return
            notification.next_attempt_at = None
            uow.emit(outcome_event(notification), Topic.NOTIFICATIONS)
