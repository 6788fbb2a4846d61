"""The todo service's API through Flask's test client, as one user (tests/api)."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from tests.support.identity import As


class Api:
    """Calls the API as one user."""

    def __init__(self, client: FlaskClient, user: str) -> None:
        self.client, self.user = client, user

    def _headers(self, extra: dict[str, str] | None) -> dict[str, str]:
        return {**As(self.user), **(extra or {})}

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


def types_on(events: list[tuple[str, str, dict[str, Any]]], topic: str) -> list[str]:
    return [envelope["type"] for t, _, envelope in events if t == topic]
