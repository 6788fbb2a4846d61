"""Fixtures for the consumer functions, on SQLite and on PostgreSQL.

`function_app("audit")` builds the app exactly as production does
(`functions_framework.create_app(target, "functions/main.py", "cloudevent")`),
configured from the environment that the autouse `function_env` sets.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import functions_framework
import pytest
from flask import Flask

from functions.shared.settings import Settings
from tests.support.harness import SOURCE, context_of
from tests.support.identity import identity_settings
from tests.support.mail import Mailbox, smtp_server
from tests.support.webhook import Webhook, webhook_server


@pytest.fixture(autouse=True)
def function_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Embedded mode, SQLite files in a fresh directory, nothing inherited from the shell."""
    for name in (
        "DATABASE_URL",
        "TODOMESH_MODE",
        "TODOMESH_SMTP_HOST",
        "TODOMESH_SMTP_PORT",
        "TODOMESH_NOTIFY_MAX_ATTEMPTS",
        "TODOMESH_WEBHOOK_ALLOW_PRIVATE",
        "FUNCTION_TARGET",
        "ENTRY_POINT",
    ):
        monkeypatch.delenv(name, raising=False)
    data_dir = tmp_path / "data"
    settings = identity_settings(Settings(data_dir=data_dir))
    monkeypatch.setenv("TODOMESH_DATA_DIR", str(data_dir))
    monkeypatch.setenv("TODOMESH_TOKEN_ISSUER", str(settings.token_issuer))
    monkeypatch.setenv("TODOMESH_RATE_LIMIT_WRITES", settings.rate_limit_writes)
    return data_dir


@pytest.fixture
def function_app(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[[str], Flask]]:
    """Build a function's app on the parametrised database; stopped after the test."""
    if settings.database_url:
        monkeypatch.setenv("DATABASE_URL", settings.database_url)
    built: list[Flask] = []

    def build(target: str) -> Flask:
        app = functions_framework.create_app(target, SOURCE, "cloudevent")
        built.append(app)
        return app

    yield build
    for app in built:
        context_of(app).stop()


@pytest.fixture
def audit(function_app: Callable[[str], Flask]) -> Flask:
    """The audit function, built as production builds it."""
    return function_app("audit")


@pytest.fixture
def smtp(monkeypatch: pytest.MonkeyPatch) -> Iterator[Mailbox]:
    """A real SMTP server on 127.0.0.1, configured for apps built after this fixture."""
    with smtp_server() as mailbox:
        for name, value in mailbox.env.items():
            monkeypatch.setenv(name, value)
        yield mailbox


@pytest.fixture
def webhook() -> Iterator[tuple[str, Webhook]]:
    """A real HTTP receiver on 127.0.0.1: (its URL, what it received)."""
    with webhook_server() as served:
        yield served


@pytest.fixture
def notify(
    smtp: Mailbox, function_app: Callable[[str], Flask], monkeypatch: pytest.MonkeyPatch
) -> Flask:
    """The notify function with email to `smtp`, at most 3 delivery attempts, and
    webhooks allowed to reach the test receivers on 127.0.0.1."""
    monkeypatch.setenv("TODOMESH_NOTIFY_MAX_ATTEMPTS", "3")
    monkeypatch.setenv("TODOMESH_WEBHOOK_ALLOW_PRIVATE", "true")
    return function_app("notify")
