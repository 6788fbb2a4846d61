"""The JWTs the built-in provider signs: access tokens (RFC 9068 shape) and ID tokens."""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt

from functions.identity.keystore import ALGORITHM, SigningKey, load_or_create
from functions.shared.identity.local import IssuerRecord, read_issuer_record

DEFAULT_ISSUER = "http://127.0.0.1:8000"  # `todomesh dev` with its default port
DEFAULT_AUDIENCE = "todomesh"
MAX_TTL_SECONDS = 30 * 24 * 3600
# A user name the sign-in page accepts: letters of any script, digits, `.`, `_`, `-`, `@`.
USER_NAME = re.compile(r"[\w.@-]{1,64}")


@dataclass(frozen=True)
class TokenIssuer:
    """Signs tokens for one issuer and audience; admins get `admin_role` at `admin_claim`."""

    key: SigningKey
    issuer: str
    audience: str
    admin_claim: str = "roles"
    admin_role: str = "admin"

    def access_token(
        self, user: str, *, admin: bool, ttl: float, now: float | None = None, **extra: Any
    ) -> str:
        now = int(time.time() if now is None else now)
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": user,
            "aud": self.audience,
            "iat": now,
            "nbf": now,
            "exp": now + int(ttl),
            "jti": secrets.token_urlsafe(16),
            **extra,
        }
        if admin:
            _put(claims, self.admin_claim, [self.admin_role])
        return self._sign(claims, "at+jwt")

    def id_token(
        self, user: str, client_id: str, *, ttl: float, now: float, nonce: str | None
    ) -> str:
        now = int(now)
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": user,
            "aud": client_id,
            "iat": now,
            "exp": now + int(ttl),
            "name": user,
        }
        if nonce:
            claims["nonce"] = nonce
        return self._sign(claims, "JWT")

    def _sign(self, claims: dict[str, Any], typ: str) -> str:
        headers = {"kid": self.key.kid, "typ": typ}
        return jwt.encode(claims, self.key.private_key, algorithm=ALGORITHM, headers=headers)


def _put(claims: dict[str, Any], path: str, value: Any) -> None:
    """Set `value` at a dotted claim path (`realm_access.roles`), making objects on the way."""
    *parents, last = path.split(".")
    for part in parents:
        claims = claims.setdefault(part, {})
    claims[last] = value


def check_user_name(user: str) -> str:
    if not USER_NAME.fullmatch(user):
        raise ValueError("a user name is 1 to 64 letters, digits, '.', '_', '-' or '@' (no spaces)")
    return user


def mint_token(data_dir: Path, user: str, admin: bool = False, ttl: float = 3600) -> str:
    """An access token that the built-in provider on `data_dir` accepts.

    It is signed with the data directory's key (made now if the provider never
    ran) for the issuer and audience the provider last recorded there, so it
    matches a running `todomesh dev` whatever its port.
    """
    check_user_name(user)
    if not 0 < ttl <= MAX_TTL_SECONDS:
        raise ValueError(f"a token lives between 1 second and {MAX_TTL_SECONDS // 86400} days")
    record = read_issuer_record(data_dir) or IssuerRecord(DEFAULT_ISSUER, DEFAULT_AUDIENCE)
    issuer = TokenIssuer(
        load_or_create(data_dir),
        record.issuer,
        record.audience,
        record.admin_claim,
        record.admin_role,
    )
    return issuer.access_token(user, admin=admin, ttl=ttl)
