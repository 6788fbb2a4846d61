"""Verify a bearer JWT: signature (RS256 or ES256 only), exp, nbf, iss, aud, then the caller.

PyJWT does the checking; this module chooses the key, refuses any other
algorithm before a key is even looked up (so `none` and an HS256 token "signed"
with the public key go nowhere), and turns PyJWT's errors into our reasons.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from pathlib import Path

import jwt
from jwt import PyJWK
from jwt import exceptions as jwt_errors

from functions.shared.identity.caller import AdminRule, Caller, caller_from_claims
from functions.shared.identity.errors import TokenError
from functions.shared.identity.keysets import (
    ALGORITHMS,
    CachedKeySet,
    KeySource,
    discovery_fetcher,
    jwks_fetcher,
)
from functions.shared.identity.local import read_issuer_record, read_public_keys
from functions.shared.settings import Settings

MAX_TOKEN_CHARS = 8192
VERIFIED_CACHE_SIZE = 4096  # tokens our issuer signed; at most 4,096 x (token + claims)
REQUIRED_CLAIMS = ["exp", "iss", "aud", "sub"]
# Most specific first: PyJWT's InvalidSignatureError is a DecodeError, and so on.
_REASONS: tuple[tuple[type[Exception], str, str], ...] = (
    (jwt_errors.ExpiredSignatureError, "expired", "The token has expired."),
    (jwt_errors.ImmatureSignatureError, "not_yet_valid", "The token is not valid yet."),
    (jwt_errors.InvalidIssuerError, "wrong_issuer", "The token was issued by another issuer."),
    (jwt_errors.InvalidAudienceError, "wrong_audience", "The token is meant for another audience."),
    (jwt_errors.InvalidSignatureError, "bad_signature", "The token's signature does not verify."),
    (jwt_errors.InvalidAlgorithmError, "unsupported_algorithm", "The algorithm is not allowed."),
    (jwt_errors.MissingRequiredClaimError, "malformed", "The token lacks a required claim."),
)


class TokenVerifier:
    """Checks tokens of one issuer and audience against the keys of `keys`."""

    def __init__(
        self,
        keys: KeySource,
        *,
        issuer: str,
        audience: str,
        leeway: float = 30.0,
        admin: AdminRule | None = None,
    ) -> None:
        self.keys, self.issuer, self.audience, self.leeway = keys, issuer, audience, leeway
        self.admin = admin or AdminRule()
        self._verified = _Verified(VERIFIED_CACHE_SIZE)

    def verify(self, token: str | None) -> Caller:
        """The caller `token` speaks for; TokenError (or KeysUnavailable) otherwise.

        A token verified before is not verified again while it is unexpired and its key
        is still the one the key set gives for its `kid` (a signature check is most of
        the cost of a request that reads one row)."""
        if not token:
            raise TokenError("missing", "Send a bearer token in the Authorization header.")
        key = self.keys.signing_key(_key_id(token))
        caller = self._verified.get(token, key, time.time() - self.leeway)
        if caller is None:
            caller = self._decode(token, key)
            self._verified.put(token, key, caller)
        return caller

    def _decode(self, token: str, key: PyJWK) -> Caller:
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=list(ALGORITHMS),
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": REQUIRED_CLAIMS},
            )
        except jwt_errors.PyJWTError as exc:
            raise _token_error(exc) from exc
        return caller_from_claims(claims, self.admin)


class _Verified:
    """The callers of recently verified tokens, least recently used dropped first."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[str, tuple[PyJWK, Caller]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, token: str, key: PyJWK, now: float) -> Caller | None:
        with self._lock:
            entry = self._entries.get(token)
            if entry is None:
                return None
            verified_with, caller = entry
            if verified_with is not key or caller.expires_at.timestamp() < now:
                del self._entries[token]
                return None
            self._entries.move_to_end(token)
            return caller

    def put(self, token: str, key: PyJWK, caller: Caller) -> None:
        with self._lock:
            self._entries[token] = (key, caller)
            self._entries.move_to_end(token)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)


def _key_id(token: str) -> str:
    """The header's `kid`, once its `alg` is one we accept."""
    if len(token) > MAX_TOKEN_CHARS:
        raise TokenError("malformed", f"The token is longer than {MAX_TOKEN_CHARS} characters.")
    try:
        header = jwt.get_unverified_header(token)
    except jwt_errors.PyJWTError as exc:
        raise TokenError("malformed", "The token is not a JWT.") from exc
    if header.get("alg") not in ALGORITHMS:
        raise TokenError(
            "unsupported_algorithm",
            f"The token's algorithm must be one of {', '.join(ALGORITHMS)}.",
        )
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise TokenError("malformed", "The token names no signing key (kid).")
    return kid


def _token_error(exc: jwt_errors.PyJWTError) -> TokenError:
    for kind, reason, detail in _REASONS:
        if isinstance(exc, kind):
            return TokenError(reason, detail)
    return TokenError("malformed", "The token is not a valid JWT.")


def verifier_from_settings(settings: Settings, issuer: str | None = None) -> TokenVerifier:
    """The verifier `settings` describe (docs/identity.md); nothing is fetched until used.

    With neither TODOMESH_OIDC_ISSUER nor TODOMESH_JWKS_URL, the built-in provider's
    keys are read from the data directory and its issuer is `issuer`, else
    TODOMESH_TOKEN_ISSUER, else what the provider recorded there.
    """
    timing = {"max_age": settings.jwks_cache_seconds, "min_interval": settings.jwks_refresh_seconds}
    if settings.jwks_url:
        expected = settings.token_issuer or settings.oidc_issuer
        if not expected:
            raise ValueError("TODOMESH_JWKS_URL needs TODOMESH_TOKEN_ISSUER: the `iss` to expect")
        keys: KeySource = CachedKeySet(jwks_fetcher(settings.jwks_url), **timing)
    elif settings.oidc_issuer:
        expected = settings.oidc_issuer
        keys = CachedKeySet(discovery_fetcher(settings.oidc_issuer), **timing)
    else:
        expected, keys = _builtin(settings, issuer)
    return TokenVerifier(
        keys,
        issuer=expected,
        audience=settings.audience,
        leeway=settings.token_leeway_seconds,
        admin=AdminRule(settings.admin_claim, settings.admin_role),
    )


def _builtin(settings: Settings, issuer: str | None) -> tuple[str, KeySource]:
    data_dir = Path(settings.data_dir)
    record = read_issuer_record(data_dir)
    expected = issuer or settings.token_issuer or (record.issuer if record else None)
    if not expected:
        raise ValueError(
            "The built-in identity provider's issuer is unknown: set TODOMESH_TOKEN_ISSUER "
            f"or start the provider on {data_dir} first."
        )
    keys = CachedKeySet(lambda: read_public_keys(data_dir), max_age=math.inf, min_interval=1.0)
    return expected, keys
