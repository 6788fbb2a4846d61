"""Validating a user's channel choice: `{channels, email, webhook_url}`, every error at once."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from functions.notify.egress import is_local_host
from functions.notify.models import CHANNELS, EMAIL, WEBHOOK
from functions.notify.service import SetPreferences
from functions.shared.problems import ValidationFailed

FIELDS = ("channels", "email", "webhook_url")
EMAIL_PATTERN = re.compile(r"^[^@\s<>,;]{1,64}@[^@\s<>,;]+\.[^@\s<>,;]+$")
MAX_EMAIL, MAX_URL = 254, 2048


def parse_preferences(
    user_id: str, body: dict[str, Any], *, allow_private: bool = False
) -> SetPreferences:
    errors = [
        {"field": name, "message": "is not a preferences field"}
        for name in body
        if name not in FIELDS
    ]
    channels, email, url = body.get("channels"), body.get("email"), body.get("webhook_url")
    for name, message in (
        ("channels", _channels_problem(channels)),
        ("email", _email_problem(email, required=_chosen(channels, EMAIL))),
        ("webhook_url", _url_problem(url, _chosen(channels, WEBHOOK), allow_private)),
    ):
        if message:
            errors.append({"field": name, "message": message})
    if errors:
        raise ValidationFailed(errors)
    return SetPreferences(user_id, list(channels), email, url)


def _chosen(channels: Any, channel: str) -> bool:
    return isinstance(channels, list) and channel in channels


def _channels_problem(channels: Any) -> str | None:
    if not isinstance(channels, list) or not channels:
        return f"must be a non-empty list of {', '.join(CHANNELS)}"
    if any(channel not in CHANNELS for channel in channels):
        return f"may contain only {', '.join(CHANNELS)}"
    if len(set(channels)) != len(channels):
        return "must not repeat a channel"
    return None


def _email_problem(email: Any, *, required: bool) -> str | None:
    if email is None:
        return "is required for the email channel" if required else None
    if not isinstance(email, str) or len(email) > MAX_EMAIL or not EMAIL_PATTERN.match(email):
        return "must be an email address such as ada@example.com"
    return None


def _url_problem(url: Any, required: bool, allow_private: bool) -> str | None:
    if url is None:
        return "is required for the webhook channel" if required else None
    if not isinstance(url, str) or len(url) > MAX_URL:
        return f"must be an http(s) URL of at most {MAX_URL} characters"
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "must be an absolute http:// or https:// URL"
    if not allow_private and is_local_host(parts.hostname):
        return "must point at a public address, not a private, loopback or link-local one"
    return None
