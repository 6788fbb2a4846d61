"""The notify function over the CloudEvents harness: each reminder reaches each channel once."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import update

from functions.notify.delivery import NotificationDelivery
from functions.notify.models import DeliveryAttempt, Notification
from functions.notify.worker import RetryWorker
from functions.shared.events import utcnow
from functions.shared.wiring import provided
from tests.contract.contract import validate_event
from tests.functions.harness import (
    Deliverer,
    break_database,
    context_of,
    event_data,
    outbox,
    rows,
    status_of,
)
from tests.functions.servers import Webhook
from tests.support.mail import Mailbox

ALICE = {"X-User-Id": "alice"}


@pytest.fixture
def deliver(notify: Flask) -> Deliverer:
    return Deliverer(notify.test_client(), "/events/reminders", "reminders")


def choose(app: Flask, **preferences: Any) -> None:
    response = app.test_client().put(
        "/api/notifications/preferences", json=preferences, headers=ALICE
    )
    assert response.status_code == 200, response.get_json()


def notifications(app: Flask) -> dict[str, Notification]:
    return {n.channel: n for n in rows(app, Notification, Notification.created_at)}


def attempts(app: Flask) -> list[tuple[int, str]]:
    found = rows(app, DeliveryAttempt, DeliveryAttempt.id)
    return [(a.number, a.status) for a in found]


def outcomes(app: Flask) -> list[tuple[str, str]]:
    """(event type, channel) of every notification.* event, each checked against the contract."""
    found = []
    for topic, key, envelope in outbox(app):
        validate_event(envelope, topic=topic, key=key)
        found.append((envelope["type"], envelope["data"]["payload"]["channel"]))
    return found


def delivery(app: Flask) -> NotificationDelivery:
    return provided(NotificationDelivery, app)


def test_a_reminder_lands_in_the_inbox_by_default(notify: Flask, deliver: Deliverer) -> None:
    response = deliver.dapr(event_data("reminder_due"))
    assert (response.status_code, response.get_json()) == (200, {"status": "SUCCESS"})
    inbox = notify.test_client().get("/api/notifications", headers=ALICE).get_json()
    [item] = inbox["items"]
    assert (item["title"], item["channel"], item["status"], item["read"]) == (
        "Water the plants",
        "in_app",
        "sent",
        False,
    )
    assert item["reminder_time"] == "2026-03-02T07:30:00Z"
    assert outcomes(notify) == [("notification.sent", "in_app")]


def test_a_reminder_reaches_each_channel_once(
    notify: Flask, deliver: Deliverer, smtp: Mailbox, webhook: tuple[str, Webhook]
) -> None:
    url, hook = webhook
    choose(
        notify, channels=["in_app", "email", "webhook"], email="ada@example.com", webhook_url=url
    )
    data = event_data("reminder_due")
    assert status_of(deliver.dapr(data)) == "SUCCESS"
    assert status_of(deliver.dapr(data)) == "SUCCESS"  # redelivered
    assert status_of(deliver.knative(event_data("reminder_due"))) == "SUCCESS"  # fired twice
    assert {c: n.status for c, n in notifications(notify).items()} == {
        "in_app": "sent",
        "email": "sent",
        "webhook": "sent",
    }
    assert len(smtp.messages) == len(hook.bodies) == 1
    assert sorted(outcomes(notify)) == [
        ("notification.sent", "email"),
        ("notification.sent", "in_app"),
        ("notification.sent", "webhook"),
    ]


def test_a_moved_reminder_notifies_again(notify: Flask, deliver: Deliverer) -> None:
    deliver.dapr(event_data("reminder_due"))
    deliver.dapr(event_data("reminder_due", payload={"reminder_time": "2026-03-02T07:45:00Z"}))
    assert len(rows(notify, Notification, Notification.id)) == 2


def test_reminders_arriving_at_once_notify_once(
    notify: Flask, smtp: Mailbox, webhook: tuple[str, Webhook]
) -> None:
    url, hook = webhook
    choose(
        notify, channels=["in_app", "email", "webhook"], email="ada@example.com", webhook_url=url
    )
    answers: list[str] = []

    def fire() -> None:
        client = Deliverer(notify.test_client(), "/events/reminders", "reminders")
        answers.append(status_of(client.dapr(event_data("reminder_due"))))

    threads = [threading.Thread(target=fire) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert answers == ["SUCCESS"] * 6
    assert len(rows(notify, Notification, Notification.id)) == 3
    assert len(smtp.messages) == len(hook.bodies) == 1


def test_email_goes_out_over_smtp(notify: Flask, deliver: Deliverer, smtp: Mailbox) -> None:
    choose(notify, channels=["email"], email="ada@example.com")
    deliver.dapr(event_data("reminder_due"))
    [message] = smtp.messages
    assert smtp.recipients == [["ada@example.com"]]
    assert (message["To"], message["Subject"]) == ("ada@example.com", "Reminder: Water the plants")
    html = message.get_body(("html",)).get_content()
    assert "<strong>Water the plants</strong>" in html
    assert "2026-03-02T08:00:00Z" in html
    email = notifications(notify)["email"]
    assert (email.status, email.attempts, email.target) == ("sent", 1, "ada@example.com")
    assert attempts(notify) == [(1, "sent")]
    assert outcomes(notify) == [("notification.sent", "email")]


def test_a_webhook_gets_the_notification_as_json(
    notify: Flask, deliver: Deliverer, webhook: tuple[str, Webhook]
) -> None:
    url, hook = webhook
    choose(notify, channels=["webhook"], webhook_url=url)
    data = event_data("reminder_due")
    deliver.dapr(data)
    [body] = hook.bodies
    sent = notifications(notify)["webhook"]
    assert body == {
        "notification_id": sent.id,
        "type": "reminder.due",
        "channel": "webhook",
        "task_id": data["task_id"],
        "user_id": "alice",
        "title": "Water the plants",
        "reminder_time": "2026-03-02T07:30:00Z",
        "due_date": "2026-03-02T08:00:00Z",
    }
    assert sent.status == "sent"


def test_a_webhook_to_a_private_address_is_refused_when_connecting(
    notify: Flask,
    function_app: Any,
    monkeypatch: pytest.MonkeyPatch,
    webhook: tuple[str, Webhook],
) -> None:
    """A URL stored while private addresses were allowed (or a name that now resolves
    to one) is checked on the address notify actually connects to."""
    url, hook = webhook
    choose(notify, channels=["webhook"], webhook_url=url)
    monkeypatch.setenv("TODOMESH_WEBHOOK_ALLOW_PRIVATE", "false")
    guarded = function_app("notify")
    Deliverer(guarded.test_client(), "/events/reminders", "reminders").dapr(
        event_data("reminder_due")
    )
    sent = notifications(guarded)["webhook"]
    assert (sent.status, sent.last_error) == (
        "pending",
        "webhook: the address is not public (refused)",
    )
    assert hook.bodies == []


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/hook",
        "http://localhost/hook",
        "http://10.1.2.3/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "http://[::ffff:192.168.0.1]/hook",
    ],
)
def test_a_private_webhook_url_is_refused_up_front(function_app: Any, url: str) -> None:
    app = function_app("notify")
    response = app.test_client().put(
        "/api/notifications/preferences",
        json={"channels": ["webhook"], "webhook_url": url},
        headers=ALICE,
    )
    assert response.status_code == 422
    [error] = response.get_json()["errors"]
    assert error["field"] == "webhook_url" and "public address" in error["message"]


def test_failed_deliveries_back_off_and_give_up(
    notify: Flask, deliver: Deliverer, webhook: tuple[str, Webhook]
) -> None:
    url, hook = webhook
    hook.statuses = [500]
    choose(notify, channels=["webhook"], webhook_url=url)
    deliver.dapr(event_data("reminder_due"))
    first = notifications(notify)["webhook"]
    assert (first.status, first.attempts, first.last_error) == (
        "pending",
        1,
        "webhook answered 500",
    )
    assert first.next_attempt_at - first.created_at == pytest.approx(
        timedelta(seconds=30), abs=timedelta(seconds=5)
    )
    assert delivery(notify).deliver(now=utcnow() + timedelta(seconds=10)) == 0  # not yet due
    assert len(hook.bodies) == 1
    delivery(notify).deliver(now=utcnow() + timedelta(seconds=31))
    second = notifications(notify)["webhook"]
    assert (second.status, second.attempts) == ("pending", 2)
    delivery(notify).deliver(now=utcnow() + timedelta(seconds=31 + 61))
    delivery(notify).deliver(now=utcnow() + timedelta(days=1))
    final = notifications(notify)["webhook"]
    assert (final.status, final.attempts, len(hook.bodies)) == ("failed", 3, 3)
    assert attempts(notify) == [(1, "failed"), (2, "failed"), (3, "failed")]
    assert outcomes(notify) == [("notification.failed", "webhook")]


def test_a_retry_delivers_once_the_receiver_recovers(
    notify: Flask, deliver: Deliverer, webhook: tuple[str, Webhook]
) -> None:
    url, hook = webhook
    hook.statuses = [503, 200]
    choose(notify, channels=["webhook"], webhook_url=url)
    deliver.dapr(event_data("reminder_due"))
    assert delivery(notify).deliver(now=utcnow() + timedelta(minutes=1)) == 1
    assert notifications(notify)["webhook"].status == "sent"
    assert attempts(notify) == [(1, "failed"), (2, "sent")]
    assert outcomes(notify) == [("notification.sent", "webhook")]


def test_smtp_down_is_a_failed_attempt(function_app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TODOMESH_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("TODOMESH_SMTP_PORT", "9")
    app = function_app("notify")
    choose(app, channels=["email"], email="ada@example.com")
    Deliverer(app.test_client(), "/events/reminders", "reminders").dapr(event_data("reminder_due"))
    email = notifications(app)["email"]
    assert (email.status, email.attempts) == ("pending", 1)
    assert email.last_error is not None and email.last_error.startswith("SMTP:")


def test_a_crash_before_settling_resends_after_the_lease(
    notify: Flask,
    deliver: Deliverer,
    webhook: tuple[str, Webhook],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url, hook = webhook
    choose(notify, channels=["webhook"], webhook_url=url)

    def crash(*_args: Any) -> None:
        raise ConnectionError("process died")

    with monkeypatch.context() as patch:
        patch.setattr(NotificationDelivery, "_settle", crash)
        assert status_of(deliver.dapr(event_data("reminder_due"))) == "SUCCESS"
    assert len(hook.bodies) == 1 and attempts(notify) == [(1, "pending")]
    assert delivery(notify).deliver() == 0  # the lease holds
    assert delivery(notify).deliver(now=utcnow() + timedelta(seconds=31)) == 1
    assert len(hook.bodies) == 2  # at least once per attempt
    assert attempts(notify) == [(1, "pending"), (2, "sent")]
    assert outcomes(notify) == [("notification.sent", "webhook")]


def test_the_retry_worker_delivers_what_falls_due(
    notify: Flask, deliver: Deliverer, webhook: tuple[str, Webhook]
) -> None:
    url, hook = webhook
    hook.statuses = [500, 200]
    choose(notify, channels=["webhook"], webhook_url=url)
    deliver.dapr(event_data("reminder_due"))
    [worker] = [w for w in context_of(notify).workers if isinstance(w, RetryWorker)]
    with context_of(notify).sessions.begin() as session:
        session.execute(update(Notification).values(next_attempt_at=utcnow()))
    worker.poll_seconds = 0.02
    worker.start()
    try:
        deadline = time.monotonic() + 10
        while notifications(notify)["webhook"].status != "sent":
            assert time.monotonic() < deadline, "the worker did not retry"
            time.sleep(0.02)
    finally:
        worker.stop()
    assert len(hook.bodies) == 2


def test_the_retry_worker_survives_a_database_outage(notify: Flask) -> None:
    [worker] = [w for w in context_of(notify).workers if isinstance(w, RetryWorker)]
    break_database(notify)
    assert worker.run_once() == 0


def test_other_reminder_events_are_acknowledged_untouched(
    notify: Flask, deliver: Deliverer
) -> None:
    for name in ("reminder.scheduled", "reminder.cancelled"):
        assert status_of(deliver.dapr(event_data("reminder_due", event_type=name))) == "SUCCESS"
    assert rows(notify, Notification, Notification.id) == []


@pytest.mark.parametrize(
    "change",
    [
        {"schema_version": "2.0"},
        {"payload": {"reminder_time": None}},
        {"payload": {"reminder_time": "at dawn"}},
        {"payload": {"title": 42}},
        {"task_id": 7},
    ],
    ids=["unknown major", "no reminder time", "bad reminder time", "bad title", "bad task id"],
)
def test_poison_reminders_are_dropped(
    notify: Flask, deliver: Deliverer, change: dict[str, Any]
) -> None:
    data = event_data("reminder_due", **change)
    response = deliver.dapr(data)
    assert (response.status_code, status_of(response)) == (200, "DROP")
    binary = deliver.knative(data)
    assert (binary.status_code, binary.mimetype) == (422, "application/problem+json")
    assert rows(notify, Notification, Notification.id) == []


def test_unknown_fields_are_accepted(notify: Flask, deliver: Deliverer) -> None:
    data = event_data("reminder_due", schema_version="1.3", origin="jobs", payload={"snooze": 5})
    assert status_of(deliver.dapr(data)) == "SUCCESS"
    assert len(rows(notify, Notification, Notification.id)) == 1


def test_database_down_asks_for_redelivery(notify: Flask, deliver: Deliverer) -> None:
    break_database(notify)
    response = deliver.dapr(event_data("reminder_due"))
    assert (response.status_code, status_of(response)) == (503, "RETRY")
