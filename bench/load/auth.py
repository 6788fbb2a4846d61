"""How the load process authenticates as a user: the one place that knows.

Every request carries `Authorization: Bearer <token>`, and every WebSocket offers the
subprotocols `bearer, <token>`, with a token the platform's built-in identity
provider accepts, minted with its key (cached per user). A bench server also raises
the per-caller write limit (`BENCH_ENV`): the load writes as few users, far faster than
any person, and the figures measure speed, not the limiter.
"""

from __future__ import annotations

from collections.abc import Callable

TOKEN_TTL_SECONDS = 3 * 3600  # longer than any run
BENCH_ENV = {"TODOMESH_RATE_LIMIT_WRITES": "100000000/minute"}


class Auth:
    def __init__(self, mint: Callable[[str, int], str]) -> None:
        """`mint(user, ttl)`: a token for `user` (called once the platform is up)."""
        self.mint = mint
        self._tokens: dict[str, str] = {}

    def token(self, user: str) -> str:
        if user not in self._tokens:
            self._tokens[user] = self.mint(user, TOKEN_TTL_SECONDS)
        return self._tokens[user]

    def headers(self, user: str) -> dict[str, str]:
        """The request headers that make a request `user`'s."""
        return {"Authorization": f"Bearer {self.token(user)}"}

    def subprotocols(self, user: str) -> tuple[str, str]:
        """The WebSocket subprotocols that make a connection `user`'s."""
        return ("bearer", self.token(user))
