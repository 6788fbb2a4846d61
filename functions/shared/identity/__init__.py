"""Who is calling: bearer JWTs verified against an identity provider's keys.

`verifier_from_settings(settings)` builds the `TokenVerifier` for the configured
provider (OpenID discovery, a JWKS URL, or the built-in one's files); its
`verify(token)` gives a `Caller` or raises `TokenError` with a short reason.
`bearer_token`/`websocket_token` read the token off a request, and `web` has the
Flask glue (`init_identity`, `current_caller`). See docs/identity.md.
"""

from functions.shared.identity.bearer import bearer_token, websocket_token
from functions.shared.identity.caller import AdminRule, Caller
from functions.shared.identity.errors import REASONS, KeysUnavailable, TokenError
from functions.shared.identity.keysets import ALGORITHMS, CachedKeySet, KeySource
from functions.shared.identity.verifier import TokenVerifier, verifier_from_settings

__all__ = [
    "ALGORITHMS",
    "REASONS",
    "AdminRule",
    "CachedKeySet",
    "Caller",
    "KeySource",
    "KeysUnavailable",
    "TokenError",
    "TokenVerifier",
    "bearer_token",
    "verifier_from_settings",
    "websocket_token",
]
