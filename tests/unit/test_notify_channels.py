"""Pure tests of notify's senders, messages, backoff and preference validation."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
import responses

from functions.notify.channels import (
    DaprEmailSender,
    DeliveryFailed,
    HttpWebhookSender,
    SmtpEmailSender,
    senders_for,
)
from functions.notify.delivery import backoff
from functions.notify.messages import email_html, outcome_event
from functions.notify.models import Notification
from functions.notify.preferences import parse_preferences
from functions.shared.problems import ValidationFailed
from functions.shared.settings import Settings

HOOK = "https://hooks.example.com/todo"


def notification(**changes: Any) -> Notification:
    values: dict[str, Any] = {
        "id": "n-1",
        "user_id": "alice",
        "task_id": "t-1",
        "channel": "webhook",
        "title": "Pay <rent> & bills",
        "target": HOOK,
        "status": "pending",
        "attempts": 1,
        "reminder_time": datetime(2026, 3, 2, 7, 30, tzinfo=UTC),
        "due_date": datetime(2026, 3, 2, 8, tzinfo=UTC),
        "last_error": None,
    }
    return Notification(**{**values, **changes})


@responses.activate
def test_a_webhook_is_a_json_post() -> None:
    responses.post(HOOK, status=202)
    HttpWebhookSender().send(notification())
    [call] = responses.calls
    assert call.request.headers["Content-Type"] == "application/json"
    assert json.loads(call.request.body) == {
        "notification_id": "n-1",
        "type": "reminder.due",
        "channel": "webhook",
        "task_id": "t-1",
        "user_id": "alice",
        "title": "Pay <rent> & bills",
        "reminder_time": "2026-03-02T07:30:00Z",
        "due_date": "2026-03-02T08:00:00Z",
    }


@pytest.mark.parametrize("status", [301, 404, 500])
@responses.activate
def test_a_webhook_answering_other_than_2xx_failed(status: int) -> None:
    responses.post(HOOK, status=status)
    with pytest.raises(DeliveryFailed, match=str(status)):
        HttpWebhookSender().send(notification())


@responses.activate
def test_an_unreachable_webhook_failed() -> None:
    responses.post(HOOK, body=requests.ConnectionError("refused"))
    with pytest.raises(DeliveryFailed, match="ConnectionError"):
        HttpWebhookSender().send(notification())


@responses.activate
def test_dapr_mode_mails_through_the_smtp_binding() -> None:
    settings = Settings(mode="dapr", dapr_http_port=3599, email_binding="smtp")
    responses.post("http://127.0.0.1:3599/v1.0/bindings/smtp", status=200)
    DaprEmailSender(settings).send(notification(channel="email", target="ada@example.com"))
    body = json.loads(responses.calls[0].request.body)
    assert body["operation"] == "create"
    assert body["metadata"] == {
        "emailTo": "ada@example.com",
        "emailFrom": "todomesh@localhost",
        "subject": "Reminder: Pay <rent> & bills",
    }
    assert "Pay &lt;rent&gt; &amp; bills" in body["data"]


@responses.activate
def test_a_refusing_sidecar_is_a_failed_attempt() -> None:
    settings = Settings(mode="dapr", dapr_http_port=3599)
    responses.post("http://127.0.0.1:3599/v1.0/bindings/smtp", status=500, body="no smtp")
    with pytest.raises(DeliveryFailed, match="500"):
        DaprEmailSender(settings).send(notification(channel="email", target="ada@example.com"))


def test_without_an_smtp_server_email_fails() -> None:
    with pytest.raises(DeliveryFailed, match="TODOMESH_SMTP_HOST"):
        SmtpEmailSender(Settings()).send(notification(channel="email"))


def test_the_mode_picks_the_email_sender() -> None:
    assert isinstance(senders_for(Settings())["email"], SmtpEmailSender)
    assert isinstance(senders_for(Settings(mode="dapr"))["email"], DaprEmailSender)
    assert isinstance(senders_for(Settings())["webhook"], HttpWebhookSender)


def test_email_html_escapes_the_title() -> None:
    assert "<strong>Pay &lt;rent&gt; &amp; bills</strong>" in email_html(notification())


def test_backoff_doubles_up_to_an_hour() -> None:
    assert [backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert backoff(30) == timedelta(hours=1)


def test_an_outcome_has_one_id_per_notification_and_result() -> None:
    sent = outcome_event(notification(status="sent"))
    assert sent.event_type == "notification.sent"
    assert sent.event_id == outcome_event(notification(status="sent")).event_id
    failed = outcome_event(notification(status="failed", last_error="webhook answered 500"))
    assert failed.event_type == "notification.failed"
    assert failed.event_id != sent.event_id
    assert failed.payload["error"] == "webhook answered 500"
    assert (failed.task_id, failed.user_id) == ("t-1", "alice")


def test_valid_preferences() -> None:
    command = parse_preferences("alice", {"channels": ["email", "in_app"], "email": "a@b.co"})
    assert (command.channels, command.email, command.webhook_url) == (
        ["email", "in_app"],
        "a@b.co",
        None,
    )


def test_an_address_may_be_kept_for_an_unchosen_channel() -> None:
    command = parse_preferences("alice", {"channels": ["in_app"], "webhook_url": HOOK})
    assert command.webhook_url == HOOK


@pytest.mark.parametrize(
    "email", ["a@b", "a b@c.de", "@c.de", "x" * 250 + "@c.de", "a@b.co,c@d.ef", 7]
)
def test_bad_addresses(email: Any) -> None:
    with pytest.raises(ValidationFailed) as failed:
        parse_preferences("alice", {"channels": ["email"], "email": email})
    assert [e["field"] for e in failed.value.extra["errors"]] == ["email"]
