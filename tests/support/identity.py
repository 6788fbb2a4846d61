"""Callers for tests: the built-in identity provider's key in a test data directory, and
bearer tokens it signs, as `todomesh dev` and `todomesh token` make them."""

from __future__ import annotations

import functools
from pathlib import Path

from functions.identity import IdentityProvider, ProviderConfig, mint_token
from functions.shared.settings import Settings

# The host Flask's and werkzeug's test clients name: an in-process app's own origin.
TEST_ISSUER = "http://testserver"
# Writes a test makes are not what the rate limit is about; its own tests set a low one.
TEST_WRITE_LIMIT = "100000/minute"


def identity_settings(settings: Settings, issuer: str = TEST_ISSUER) -> Settings:
    """`settings` whose apps accept the tokens `Tokens(settings.data_dir)` mints."""
    IdentityProvider.open(ProviderConfig(Path(settings.data_dir), issuer))
    return settings.replace(token_issuer=issuer, rate_limit_writes=TEST_WRITE_LIMIT)


class Tokens:
    """Tokens of the built-in provider whose key is in `data_dir`."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir)

    @functools.cache  # noqa: B019 - a handful of users per test, and tokens live an hour
    def token(self, user: str, admin: bool = False) -> str:
        return mint_token(self.data_dir, user, admin=admin)

    def headers(self, user: str, admin: bool = False) -> dict[str, str]:
        """`Authorization: Bearer <token>` for `user` (with the admin role if `admin`)."""
        return {"Authorization": f"Bearer {self.token(user, admin)}"}
