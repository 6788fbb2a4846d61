"""Why a token was refused: one exception type with a short machine reason."""

from __future__ import annotations

REASONS = frozenset(
    {
        "missing",
        "expired",
        "not_yet_valid",
        "bad_signature",
        "wrong_issuer",
        "wrong_audience",
        "unsupported_algorithm",
        "unknown_key",
        "malformed",
    }
)


class TokenError(Exception):
    """A refused (or absent) bearer token: answered 401 with `reason` and `detail`."""

    def __init__(self, reason: str, detail: str) -> None:
        if reason not in REASONS:
            raise ValueError(f"unknown token error reason {reason!r}")
        super().__init__(f"{reason}: {detail}")
        self.reason, self.detail = reason, detail


class KeysUnavailable(Exception):
    """The signing keys could not be fetched: nobody can be verified now (503, not 401)."""
