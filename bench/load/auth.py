"""How the load process authenticates as a user: the one place that knows.

Today the platform trusts the `X-User-Id` header. When it takes bearer JWTs,
`headers()` returns `{"Authorization": "Bearer <token>"}` with the token that
`todomesh token <user> --data-dir DIR` prints (cached per user); nothing else
in the benchmarks changes.
"""

from __future__ import annotations

from pathlib import Path


class Auth:
    def __init__(self, data_dir: Path | None = None) -> None:
        self.data_dir = data_dir  # where a token issuer's keys will live

    def headers(self, user: str) -> dict[str, str]:
        """The request headers that make a request `user`'s (REST and WebSocket alike)."""
        return {"X-User-Id": user}
