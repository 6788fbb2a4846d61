"""Signing keys from a JWKS URL or OpenID discovery: cached, refreshed on an unknown `kid`.

A key rotation works without a restart: a token signed with a key the cache does
not know makes the set be fetched again. Fetches (successful or not) are at
least `min_interval` seconds apart, so a stream of made-up key ids, or an
unreachable provider, costs one outbound request per interval and no more.
While the provider is unreachable the last good set keeps serving.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

import requests
from jwt import PyJWK, PyJWKClient, PyJWKSet
from jwt.exceptions import PyJWKClientError, PyJWKSetError

from functions.shared.identity.errors import KeysUnavailable, TokenError

log = logging.getLogger(__name__)
ALGORITHMS = ("RS256", "ES256")
FETCH_TIMEOUT_SECONDS = 5.0
Fetch = Callable[[], PyJWKSet]


class KeySource(Protocol):
    def signing_key(self, kid: str) -> PyJWK:
        """The key named `kid`; TokenError("unknown_key") or KeysUnavailable otherwise."""
        ...


class CachedKeySet:
    """A `KeySource` over `fetch`, cached for `max_age` seconds."""

    def __init__(
        self,
        fetch: Fetch,
        *,
        max_age: float = 300.0,
        min_interval: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetch, self._clock = fetch, clock
        self._max_age, self._min_interval = max_age, min_interval
        self._lock = threading.Lock()
        self._keys: dict[str, PyJWK] | None = None
        self._fetched_at = self._tried_at = float("-inf")

    def signing_key(self, kid: str) -> PyJWK:
        with self._lock:
            if self._keys is None or self._clock() - self._fetched_at >= self._max_age:
                self._refresh()
            key = self._known().get(kid)
            if key is None and self._refresh():
                key = self._known().get(kid)
        if key is None:
            raise TokenError("unknown_key", "The token's signing key is not one this server knows.")
        return key

    def _known(self) -> dict[str, PyJWK]:
        if self._keys is None:
            raise KeysUnavailable("The identity provider's signing keys could not be fetched.")
        return self._keys

    def _refresh(self) -> bool:
        """Fetch the set unless the last attempt was too recent; True when it was fetched."""
        now = self._clock()
        if now - self._tried_at < self._min_interval:
            return False
        self._tried_at = now
        try:
            fetched = self._fetch()
        except (PyJWKClientError, PyJWKSetError, KeysUnavailable, requests.RequestException) as exc:
            log.warning("signing keys not fetched: %s", exc)
            return False
        self._keys = usable_keys(fetched)
        self._fetched_at = now
        return True


def usable_keys(key_set: PyJWKSet) -> dict[str, PyJWK]:
    """The signature keys of `key_set` by kid, of an algorithm we accept."""
    return {
        key.key_id: key
        for key in key_set.keys
        if key.key_id and key.public_key_use in ("sig", None) and key.algorithm_name in ALGORITHMS
    }


def jwks_fetcher(url: str, timeout: float = FETCH_TIMEOUT_SECONDS) -> Fetch:
    """Fetch the key set at `url` with PyJWT's client (http(s) only, no redirects)."""
    client = PyJWKClient(url, cache_jwk_set=False, timeout=timeout)
    return client.get_jwk_set


def discovery_fetcher(issuer: str, timeout: float = FETCH_TIMEOUT_SECONDS) -> Fetch:
    """Fetch the key set named by `issuer`'s OpenID discovery document.

    The document is read once, on the first fetch; its `issuer` must be `issuer`
    exactly (OpenID Connect Discovery 1.0, section 4.3).
    """
    found: list[Fetch] = []

    def fetch() -> PyJWKSet:
        if not found:
            found.append(jwks_fetcher(_jwks_uri(issuer, timeout), timeout))
        return found[0]()

    return fetch


def _jwks_uri(issuer: str, timeout: float) -> str:
    url = issuer.rstrip("/") + "/.well-known/openid-configuration"
    with requests.get(url, timeout=timeout, allow_redirects=False) as response:
        response.raise_for_status()
        document: Any = response.json()
    if not isinstance(document, dict) or not isinstance(document.get("jwks_uri"), str):
        raise KeysUnavailable(f"{url} names no jwks_uri")
    if document.get("issuer") != issuer:
        raise KeysUnavailable(
            f"{url} is the document of issuer {document.get('issuer')!r}, not {issuer!r}"
        )
    return document["jwks_uri"]
