"""A verifier built on first use, so an app starts before its identity provider answers.

The consumer functions need no identity for their events; only their query APIs
do. A function run on its own with no identity configured still starts, and its
query API answers 503 naming what to configure.
"""

from __future__ import annotations

import threading

from functions.shared.identity.caller import Caller
from functions.shared.identity.errors import KeysUnavailable
from functions.shared.identity.verifier import TokenVerifier, verifier_from_settings
from functions.shared.settings import Settings


class LazyVerifier:
    """`verify` as `TokenVerifier.verify`, with the verifier made from `settings` once."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._verifier: TokenVerifier | None = None
        self._lock = threading.Lock()

    def verify(self, token: str | None) -> Caller:
        return self.verifier().verify(token)

    def verifier(self) -> TokenVerifier:
        with self._lock:
            if self._verifier is None:
                try:
                    self._verifier = verifier_from_settings(self.settings)
                except ValueError as exc:
                    raise KeysUnavailable(f"identity is not configured: {exc}") from exc
            return self._verifier
