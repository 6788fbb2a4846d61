"""A full run of `todomesh dev` at DEBUG, then its whole log is searched for every token and
secret the run used: none may appear, nor a notification channel's address or payload."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.support.mail import Mailbox, smtp_server
from tests.support.platform import PlatformProcess
from tests.support.stories import create, ok, rfc3339, seconds_from_now
from tests.support.tracker import Tracker
from tests.support.waiting import wait_for
from tests.support.webhook import Webhook, webhook_server

pytestmark = pytest.mark.e2e
LLM_KEY = "sk-live-0a1b2c3d4e5f60718293a4b5c6d7e8f9"
HOOK_SECRET = "hook-secret-5f1e0c9d8b7a"


@pytest.fixture
def receivers() -> Iterator[tuple[Mailbox, str, Webhook]]:
    with smtp_server() as mailbox, webhook_server() as (url, hook):
        yield mailbox, url, hook


@pytest.fixture
def chatty_platform(
    tmp_path: Path, receivers: tuple[Mailbox, str, Webhook]
) -> Iterator[PlatformProcess]:
    mailbox, _, _ = receivers
    env = {
        **mailbox.env,
        "LOG_LEVEL": "DEBUG",
        "TODOMESH_WEBHOOK_ALLOW_PRIVATE": "true",
        # An LLM that cannot be reached: the chat falls back, and logs why.
        "TODOMESH_LLM_BASE_URL": "http://127.0.0.1:9/v1",
        "TODOMESH_LLM_MODEL": "test-model",
        "TODOMESH_LLM_API_KEY": LLM_KEY,
    }
    platform = PlatformProcess(tmp_path / "data", env=env).start()
    yield platform
    platform.close_sessions()
    platform.stop()


def test_no_token_secret_or_channel_payload_reaches_the_log(
    chatty_platform: PlatformProcess, receivers: tuple[Mailbox, str, Webhook], track: Tracker
) -> None:
    platform, (mailbox, hook_url, hook) = chatty_platform, receivers
    alice, token = platform.api("alice"), platform.token("alice")
    webhook_url = f"{hook_url}?token={HOOK_SECRET}"
    email = "alice.private@example.com"
    prefs = {"channels": ["in_app", "email", "webhook"], "email": email, "webhook_url": webhook_url}
    ok(alice.put("/api/notifications/preferences", json=prefs))
    ok(alice.post("/api/chat", json={"message": "Add task: Call the notary tomorrow 9am"}))
    task = create(alice, title="Renew the lease", reminder_time=rfc3339(seconds_from_now(1)))
    track.hub(platform.url, "alice", token)
    refused = requests.get(f"{platform.url}/api/tasks", headers={"Authorization": "Bearer x.y.z"})
    assert refused.status_code == 401
    wait_for(lambda: len(mailbox.received()) and len(hook.bodies), "the email and the webhook")
    platform.wait_quiet("the reminder's notifications settled")
    assert hook.bodies[0]["task_id"] == task["id"]  # the channels really carried the payload

    log = platform.process.log_text()
    assert "assistant failed" in log, "the run must have exercised the LLM fallback"
    assert "task created" in log and "notification delivered" in log
    session_token = alice.headers["Authorization"].split()[1]
    for secret in (token, session_token, LLM_KEY, HOOK_SECRET, webhook_url, email):
        assert secret not in log, f"{secret[:12]}... is in the log"
    message = mailbox.received()[0][1]
    body = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert body.strip() and body.strip() not in log
