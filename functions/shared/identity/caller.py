"""Who a verified token speaks for: its subject, and whether it carries the admin role."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from functions.shared.identity.errors import TokenError

MAX_SUBJECT = 128


@dataclass(frozen=True)
class Caller:
    user_id: str
    is_admin: bool
    expires_at: datetime
    claims: Mapping[str, Any]


@dataclass(frozen=True)
class AdminRule:
    """The caller is an administrator when the claim at `claim` holds `role`.

    `claim` is a top-level claim name, or a dotted path into nested objects
    (Keycloak's `realm_access.roles`). The value may be a list of roles or a
    space-separated string, as OAuth's `scope` is.
    """

    claim: str = "roles"
    role: str = "admin"

    def holds(self, claims: Mapping[str, Any]) -> bool:
        value = claim_at(claims, self.claim)
        if isinstance(value, str):
            return self.role in value.split()
        if isinstance(value, list | tuple):
            return self.role in value
        return False


def claim_at(claims: Mapping[str, Any], path: str) -> Any:
    """The claim named `path`, or the one its dots lead to (None when there is none)."""
    if path in claims:
        return claims[path]
    value: Any = claims
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def subject(claims: Mapping[str, Any]) -> str:
    """The `sub` claim as a user id: 1 to 128 characters, none of them a control."""
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub:
        raise TokenError("malformed", "The token names no subject (sub).")
    if len(sub) > MAX_SUBJECT:
        raise TokenError("malformed", f"The subject is longer than {MAX_SUBJECT} characters.")
    if any(unicodedata.category(c) in ("Cc", "Cf", "Cs") for c in sub):
        raise TokenError("malformed", "The subject contains control characters.")
    return sub


def caller_from_claims(claims: Mapping[str, Any], admin: AdminRule) -> Caller:
    """The `Caller` of verified `claims` (whose `exp` was checked already)."""
    return Caller(
        user_id=subject(claims),
        is_admin=admin.holds(claims),
        expires_at=_expiry(claims.get("exp")),
        claims=dict(claims),
    )


def _expiry(exp: Any) -> datetime:
    try:
        if isinstance(exp, int | float) and not isinstance(exp, bool):
            return datetime.fromtimestamp(exp, UTC)
    except (OverflowError, ValueError, OSError):
        pass
    raise TokenError("malformed", "The token's expiry (exp) is not a time.")
