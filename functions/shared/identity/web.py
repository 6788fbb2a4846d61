"""Flask glue: the verified caller of a request, and the 401 that refuses one.

`init_identity(app, verifier)` once per app; then a view asks `current_caller()`.
A refused token answers 401 problem+json with `WWW-Authenticate: Bearer
realm="todomesh"`, plus `error="invalid_token"` and a description when a token was
sent (RFC 6750, section 3); unreachable keys answer 503, since no token is at fault.
"""

from __future__ import annotations

import re
from typing import Protocol

from flask import Flask, Response, current_app, g, request

from functions.shared.identity.bearer import bearer_token
from functions.shared.identity.caller import Caller
from functions.shared.identity.errors import KeysUnavailable, TokenError
from functions.shared.problems import Problem, problem_response

EXTENSION = "todomesh.identity"
REALM = "todomesh"
_UNQUOTABLE = re.compile(r"[^\x20-\x21\x23-\x5b\x5d-\x7e]")  # RFC 6750's error_description


class Verifier(Protocol):
    def verify(self, token: str | None) -> Caller: ...


def init_identity(app: Flask, verifier: Verifier) -> None:
    """Verify this app's callers with `verifier`, and answer refusals as above."""
    app.extensions[EXTENSION] = verifier
    app.register_error_handler(TokenError, challenge_response)
    app.register_error_handler(KeysUnavailable, keys_unavailable_response)


def current_caller() -> Caller:
    """The verified caller of this request (checked once per request); TokenError if none."""
    outcome = _outcome()
    if isinstance(outcome, Exception):
        raise outcome
    return outcome


def current_admin() -> Caller:
    """The verified caller if an administrator: 401 without a valid token, 403 otherwise."""
    caller = current_caller()
    if not caller.is_admin:
        raise Problem(403, "Forbidden", "Only an administrator may do this.")
    return caller


def optional_caller() -> Caller | None:
    """The verified caller, or None when the request has no valid token (rate-limit keys)."""
    if EXTENSION not in current_app.extensions:
        return None
    outcome = _outcome()
    return None if isinstance(outcome, Exception) else outcome


def _outcome() -> Caller | TokenError | KeysUnavailable:
    if "todomesh_caller" not in g:
        verifier: Verifier = current_app.extensions[EXTENSION]
        try:
            g.todomesh_caller = verifier.verify(bearer_token(request.headers))
        except (TokenError, KeysUnavailable) as exc:
            g.todomesh_caller = exc
    return g.todomesh_caller


def challenge(error: TokenError) -> str:
    """The WWW-Authenticate value for `error`."""
    if error.reason == "missing":
        return f'Bearer realm="{REALM}"'
    description = _UNQUOTABLE.sub("?", error.detail)
    return f'Bearer realm="{REALM}", error="invalid_token", error_description="{description}"'


def challenge_response(error: TokenError) -> Response:
    response = problem_response(401, "Unauthorized", error.detail, reason=error.reason)
    response.headers["WWW-Authenticate"] = challenge(error)
    return response


def keys_unavailable_response(_error: KeysUnavailable) -> Response:
    response = problem_response(
        503,
        "Service Unavailable",
        "The identity provider's keys cannot be fetched now; try again shortly.",
        dependency="identity",
    )
    response.headers["Retry-After"] = "30"
    return response
