"""Authorization codes, refresh tokens and sign-in form tokens: signed, stateless values.

Each is a JSON payload signed with the data directory's secret (itsdangerous,
one salt per kind, so no value passes as another) and carries its own expiry,
checked against the provider's clock. Single use is enforced by an in-process set
of spent ids: with several replicas behind one issuer, a code or a refresh token
could be redeemed once per replica, and a restart forgets what was spent. That
is acceptable for a development provider and is why production uses a real one.

Refresh tokens rotate: each use returns a new one. Presenting a spent refresh
token revokes its whole family (every token descended from the same sign-in), as
OAuth 2.1 advises for public clients.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer


class GrantError(Exception):
    """An OAuth error (RFC 6749, section 5.2): `error` code and a description."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(f"{error}: {description}")
        self.error, self.description = error, description


class SpentIds:
    """Ids used once, remembered until they would have expired anyway."""

    def __init__(self) -> None:
        self._until: dict[str, float] = {}
        self._lock = threading.Lock()

    def spend(self, key: str, until: float, now: float) -> bool:
        """Record `key`; False if it was spent already."""
        with self._lock:
            for old in [k for k, t in self._until.items() if t < now]:
                del self._until[old]
            if key in self._until:
                return False
            self._until[key] = until
            return True

    def __contains__(self, key: str) -> bool:
        with self._lock:
            return key in self._until


class Grants:
    def __init__(
        self,
        secret: bytes,
        *,
        code_ttl: float = 60.0,
        refresh_ttl: float = 8 * 3600.0,
        form_ttl: float = 600.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.code_ttl, self.refresh_ttl, self.form_ttl = code_ttl, refresh_ttl, form_ttl
        self.clock = clock
        self._signers = {
            kind: URLSafeSerializer(secret, salt=f"todomesh.identity.{kind}")
            for kind in ("code", "refresh", "form")
        }
        self._spent = SpentIds()
        self._revoked = SpentIds()  # refresh token families

    def issue(self, kind: str, ttl: float, **claims: Any) -> str:
        """A signed `kind` value carrying `claims`, a fresh `jti` and an expiry."""
        payload = {**claims, "jti": secrets.token_urlsafe(12), "exp": self.clock() + ttl}
        return self._signers[kind].dumps(payload)

    def open(self, kind: str, value: str) -> dict[str, Any]:
        """The claims of a `kind` value this provider signed and that has not expired."""
        try:
            payload = self._signers[kind].loads(value)
        except BadSignature as exc:
            raise GrantError("invalid_grant", f"This {kind} was not issued here.") from exc
        if not isinstance(payload, dict) or payload.get("exp", 0) < self.clock():
            raise GrantError("invalid_grant", f"This {kind} has expired.")
        return payload

    def redeem_code(self, code: str) -> dict[str, Any]:
        """The claims of an unspent authorization code, spending it."""
        grant = self.open("code", code)
        if not self._spent.spend(f"code:{grant['jti']}", grant["exp"], self.clock()):
            raise GrantError("invalid_grant", "This code was used already.")
        return grant

    def issue_refresh(self, family: str | None = None, **claims: Any) -> str:
        family = family or secrets.token_urlsafe(12)
        return self.issue("refresh", self.refresh_ttl, family=family, **claims)

    def redeem_refresh(self, token: str) -> dict[str, Any]:
        """The claims of an unspent refresh token, spending it; reuse revokes its family."""
        grant = self.open("refresh", token)
        now = self.clock()
        if grant["family"] in self._revoked:
            raise GrantError("invalid_grant", "This sign-in was revoked; sign in again.")
        if not self._spent.spend(f"refresh:{grant['jti']}", grant["exp"], now):
            self._revoked.spend(grant["family"], now + self.refresh_ttl, now)
            raise GrantError("invalid_grant", "This refresh token was used already; sign in again.")
        return grant
