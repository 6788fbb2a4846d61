"""The todo service over Flask's test client, on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from functions.shared.settings import Settings
from functions.shared.wiring import context
from functions.todo import create_app


@pytest.fixture
def todo_app(settings: Settings) -> Iterator[Flask]:
    app = create_app(settings)
    yield app
    context(app).stop()


@pytest.fixture
def client(todo_app: Flask) -> FlaskClient:
    return todo_app.test_client()


class Api:
    """Calls the API as one user."""

    def __init__(self, client: FlaskClient, user: str) -> None:
        self.client, self.user = client, user

    def _headers(self, extra: dict[str, str] | None) -> dict[str, str]:
        return {"X-User-Id": self.user, **(extra or {})}

    def create(self, **fields: Any) -> Any:
        fields.setdefault("title", "Buy milk")
        response = self.client.post("/api/tasks", json=fields, headers=self._headers(None))
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.client.get(path, headers=self._headers(kwargs.pop("headers", None)), **kwargs)

    def post(self, path: str, **kwargs: Any) -> Any:
        return self.client.post(path, headers=self._headers(kwargs.pop("headers", None)), **kwargs)

    def patch(self, path: str, **kwargs: Any) -> Any:
        return self.client.patch(path, headers=self._headers(kwargs.pop("headers", None)), **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Any:
        return self.client.delete(
            path, headers=self._headers(kwargs.pop("headers", None)), **kwargs
        )


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


def types_on(events: list[tuple[str, str, dict[str, Any]]], topic: str) -> list[str]:
    return [envelope["type"] for t, _, envelope in events if t == topic]
