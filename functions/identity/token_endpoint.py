"""The token endpoint: a code (with its PKCE verifier) or a refresh token for tokens.

Errors follow RFC 6749, section 5.2 (`{"error", "error_description"}`, 400), the
format every OAuth client reads, rather than problem+json.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Blueprint, Response, jsonify, request

from functions.identity.grants import GrantError
from functions.identity.pkce import verifier_matches
from functions.identity.provider import IdentityProvider


def add_token_route(bp: Blueprint, provider: IdentityProvider) -> None:
    @bp.post("/oauth/token")
    def token() -> Response:
        form = request.form
        try:
            if form.get("grant_type") == "authorization_code":
                body = exchange_code(provider, form)
            elif form.get("grant_type") == "refresh_token":
                body = refresh(provider, form)
            else:
                raise GrantError(
                    "unsupported_grant_type", "Use authorization_code or refresh_token."
                )
        except GrantError as exc:
            return _no_store(jsonify(error=exc.error, error_description=exc.description), 400)
        return _no_store(jsonify(body), 200)


def exchange_code(provider: IdentityProvider, form: Mapping[str, str]) -> dict[str, Any]:
    """Tokens for a code; the code is spent first, so a wrong verifier gets one try."""
    _require(form, "code", "client_id", "redirect_uri", "code_verifier")
    grant = provider.grants.redeem_code(form["code"])
    if form["client_id"] != grant["client_id"]:
        raise GrantError("invalid_grant", "This code was issued to another client.")
    if form["redirect_uri"] != grant["redirect_uri"]:
        raise GrantError("invalid_grant", "redirect_uri differs from the authorization request.")
    if not verifier_matches(form["code_verifier"], grant["code_challenge"]):
        raise GrantError("invalid_grant", "code_verifier does not match the code_challenge.")
    return provider.token_response(grant)


def refresh(provider: IdentityProvider, form: Mapping[str, str]) -> dict[str, Any]:
    """New tokens, and a new refresh token in place of the spent one."""
    _require(form, "refresh_token", "client_id")
    grant = provider.grants.redeem_refresh(form["refresh_token"])
    if form["client_id"] != grant["client_id"]:
        raise GrantError("invalid_grant", "This refresh token was issued to another client.")
    return provider.token_response(grant, refresh_family=grant["family"])


def _require(form: Mapping[str, str], *names: str) -> None:
    missing = [name for name in names if not form.get(name)]
    if missing:
        raise GrantError("invalid_request", f"Missing: {', '.join(missing)}.")


def _no_store(response: Response, status: int) -> Response:
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response
