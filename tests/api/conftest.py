"""The todo service over Flask's test client, on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from functions.shared.settings import Settings
from functions.shared.wiring import context
from functions.todo import create_app
from tests.support.api import Api


@pytest.fixture
def make_todo_app(settings: Settings) -> Iterator[Callable[..., Flask]]:
    """`make_todo_app(**changes)`: the todo service on `settings` with `changes`; every
    one made is stopped after the test."""
    apps: list[Flask] = []

    def make(**changes: Any) -> Flask:
        apps.append(create_app(settings.replace(**changes)))
        return apps[-1]

    yield make
    for app in apps:
        context(app).stop()


@pytest.fixture
def todo_app(make_todo_app: Callable[..., Flask]) -> Flask:
    return make_todo_app()


@pytest.fixture
def client(todo_app: Flask) -> FlaskClient:
    return todo_app.test_client()


@pytest.fixture
def alice(client: FlaskClient) -> Api:
    return Api(client, "alice")


@pytest.fixture
def bob(client: FlaskClient) -> Api:
    return Api(client, "bob")


@pytest.fixture
def outbox(todo_app: Flask) -> Any:
    """Read what the service wrote to its outbox: `outbox()` -> [(topic, key, envelope)]."""
    ctx = context(todo_app)

    def read() -> list[tuple[str, str, dict[str, Any]]]:
        with ctx.sessions() as session:
            rows = session.scalars(select(ctx.outbox).order_by(ctx.outbox.id)).all()
            return [(r.topic, r.partition_key, r.envelope) for r in rows]

    return read
