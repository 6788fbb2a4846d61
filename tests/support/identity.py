"""Callers for tests: bearer tokens of one test identity provider, as apps verify them.

One built-in provider key serves the whole test session (`SessionIdentity`); an app
built on `identity_settings(settings)` finds its public key set in its data
directory, as a `todomesh dev` on that directory would. `As("alice")` is the
`Authorization` header of alice's token, made when first read, so test modules can
keep their callers as constants. A real `todomesh dev` makes its own key: tokens for
it come from `PlatformProcess.token(user)`.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization

from functions.identity import IdentityProvider, ProviderConfig, mint_token
from functions.identity.keystore import load_or_create
from functions.shared.identity.local import ISSUER_RECORD, PUBLIC_KEYS, identity_dir
from functions.shared.settings import Settings

# The host Flask's and werkzeug's test clients name: an in-process app's own origin.
TEST_ISSUER = "http://testserver"
# Writes a test makes are not what the rate limit is about; its own tests set a low one.
TEST_WRITE_LIMIT = "100000/minute"


class SessionIdentity:
    """The session's provider: its key in a temporary directory until `close()`."""

    _current: SessionIdentity | None = None

    def __init__(self) -> None:
        self.data_dir = Path(tempfile.mkdtemp(prefix="todomesh-test-identity-"))
        IdentityProvider.open(ProviderConfig(self.data_dir, TEST_ISSUER))

    @classmethod
    def current(cls) -> SessionIdentity:
        if cls._current is None:
            cls._current = cls()
        return cls._current

    @classmethod
    def close(cls) -> None:
        if cls._current is not None:
            shutil.rmtree(cls._current.data_dir, ignore_errors=True)
            cls._current = None

    def token(self, user: str, admin: bool = False, ttl: float = 6 * 3600) -> str:
        return mint_token(self.data_dir, user, admin=admin, ttl=ttl)


def identity_settings(settings: Settings) -> Settings:
    """`settings` whose apps accept the test identity's tokens."""
    source, target = (
        identity_dir(SessionIdentity.current().data_dir),
        identity_dir(settings.data_dir),
    )
    target.mkdir(parents=True, exist_ok=True)
    for name in (PUBLIC_KEYS, ISSUER_RECORD):
        shutil.copy(source / name, target / name)
    return settings.replace(token_issuer=TEST_ISSUER, rate_limit_writes=TEST_WRITE_LIMIT)


def token(user: str, admin: bool = False) -> str:
    return SessionIdentity.current().token(user, admin)


class As(Mapping[str, str]):
    """`{"Authorization": "Bearer <token>"}` for `user`, the token made when first read."""

    def __init__(self, user: str, admin: bool = False) -> None:
        self.user, self.admin = user, admin
        self._value: str | None = None

    def _header(self) -> str:
        if self._value is None:
            self._value = f"Bearer {token(self.user, self.admin)}"
        return self._value

    def __getitem__(self, name: str) -> str:
        if name != "Authorization":
            raise KeyError(name)
        return self._header()

    def __iter__(self) -> Iterator[str]:
        return iter(["Authorization"])

    def __len__(self) -> int:
        return 1

    def __or__(self, other: Mapping[str, str]) -> dict[str, str]:  # type: ignore[override]
        return {**self, **other}


class User(str):
    """A user id (it is the string) that carries the bearer token the platform under test
    accepts for it, so helpers that take a user can call the API as them."""

    token: str

    def __new__(cls, name: str, token: str) -> User:
        user = super().__new__(cls, name)
        user.token = token
        return user

    def __getnewargs__(self) -> tuple[str, str]:  # copies keep the token
        return (str(self), self.token)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def signed(claims: dict[str, object], **header: object) -> str:
    """`claims` signed with the session provider's own key (forgeries of the claims)."""
    key = load_or_create(SessionIdentity.current().data_dir)
    headers = {"kid": key.kid, **header}
    return jwt.encode(claims, key.private_key, algorithm="ES256", headers=headers)


def public_key_pem() -> bytes:
    """The session provider's public key, as an attacker could fetch it from the JWKS."""
    key = load_or_create(SessionIdentity.current().data_dir).private_key.public_key()
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def session_kid() -> str:
    return load_or_create(SessionIdentity.current().data_dir).kid
