"""How a notification leaves the building: email (SMTP or Dapr's SMTP binding) and webhooks.

A sender either returns (delivered) or raises `DeliveryFailed` with a short reason.
"""

from __future__ import annotations

import http.cookiejar
import smtplib
from email.message import EmailMessage
from typing import Any, Protocol

import requests

from functions.notify.egress import BlockedAddress, webhook_session
from functions.notify.messages import email_html, email_subject, email_text, webhook_body
from functions.notify.models import EMAIL, WEBHOOK, Notification
from functions.shared.settings import Settings
from functions.shared.sidecar import DaprClient, SidecarError

SMTP_TIMEOUT_SECONDS = 10.0
WEBHOOK_TIMEOUT_SECONDS = 5.0


class DeliveryFailed(RuntimeError):
    """This attempt did not deliver; a later one may."""


class Sender(Protocol):
    def send(self, notification: Notification) -> None: ...


class SmtpEmailSender:
    """Embedded mode: talk SMTP to `TODOMESH_SMTP_HOST:TODOMESH_SMTP_PORT` ourselves."""

    def __init__(self, settings: Settings) -> None:
        self.host, self.port, self.sender = (
            settings.smtp_host,
            settings.smtp_port,
            settings.smtp_sender,
        )

    def send(self, notification: Notification) -> None:
        if not self.host:
            raise DeliveryFailed("no SMTP server configured (TODOMESH_SMTP_HOST)")
        message = EmailMessage()
        message["From"], message["To"] = self.sender, notification.target or ""
        message["Subject"] = email_subject(notification)
        message.set_content(email_text(notification))
        message.add_alternative(email_html(notification), subtype="html")
        try:
            with smtplib.SMTP(self.host, self.port, timeout=SMTP_TIMEOUT_SECONDS) as smtp:
                smtp.send_message(message)
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryFailed(f"SMTP: {exc}") from exc


class DaprEmailSender:
    """Dapr mode: the `bindings.smtp` output binding sends the HTML mail."""

    def __init__(self, settings: Settings, client: DaprClient | None = None) -> None:
        self.binding, self.sender = settings.email_binding, settings.smtp_sender
        self.client = client or DaprClient(settings)

    def send(self, notification: Notification) -> None:
        metadata = {
            "emailTo": notification.target or "",
            "emailFrom": self.sender,
            "subject": email_subject(notification),
        }
        try:
            self.client.invoke_binding(self.binding, "create", email_html(notification), metadata)
        except SidecarError as exc:
            raise DeliveryFailed(f"SMTP binding: {exc}") from exc


class HttpWebhookSender:
    """POST the notification as JSON; any 2xx is delivered. Non-public addresses are
    refused unless `allow_private` (see `egress`)."""

    def __init__(
        self, session: requests.Session | None = None, *, allow_private: bool = False
    ) -> None:
        self.http = session or webhook_session(allow_private=allow_private)
        self.http.cookies.set_policy(_NoCookies())  # one user's hook must not set another's

    def send(self, notification: Notification) -> None:
        try:
            response = self.http.post(
                notification.target or "",
                json=webhook_body(notification),
                timeout=WEBHOOK_TIMEOUT_SECONDS,
                allow_redirects=False,
            )
        except BlockedAddress as exc:
            raise DeliveryFailed("webhook: the address is not public (refused)") from exc
        except requests.RequestException as exc:
            # The URL may carry a secret token: name only the kind of failure.
            raise DeliveryFailed(f"webhook: {exc.__class__.__name__}") from exc
        if not 200 <= response.status_code < 300:
            raise DeliveryFailed(f"webhook answered {response.status_code}")


class _NoCookies(http.cookiejar.DefaultCookiePolicy):
    def set_ok(self, cookie: Any, request: Any) -> bool:
        return False


def senders_for(settings: Settings) -> dict[str, Sender]:
    email: Sender = (
        DaprEmailSender(settings) if settings.mode == "dapr" else SmtpEmailSender(settings)
    )
    return {EMAIL: email, WEBHOOK: HttpWebhookSender(allow_private=settings.webhook_allow_private)}
