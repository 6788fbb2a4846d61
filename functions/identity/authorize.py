"""The authorization endpoint: a development sign-in page, then a code for the client.

`GET /oauth/authorize` checks the request (client_id, an allowed redirect_uri,
response_type=code, PKCE S256) and shows a form asking only for a name. `POST`
issues a single-use code bound to the client, redirect URI, code challenge and
user, and sends the browser back with it.

CSRF: the form carries a signed, 10-minute form token that holds the checked
request and a nonce; the same nonce is in a SameSite=Strict, HttpOnly cookie. A
cross-site page can neither read the token nor make the browser send the
cookie, and a POST whose Origin is not this server's is refused as well. The
request travels inside the signed token, so hidden fields cannot be altered.
"""

from __future__ import annotations

import hmac
import re
import secrets
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flask import Blueprint, Response, redirect, render_template, request

from functions.identity.grants import GrantError
from functions.identity.pkce import CHALLENGE, METHOD
from functions.identity.provider import IdentityProvider
from functions.identity.redirects import origin, same_origin
from functions.identity.tokens import check_user_name
from functions.shared.problems import Problem
from functions.shared.security.headers import content_security_policy

COOKIE = "todomesh_signin"
FORM_TTL_SECONDS = 600
_CLIENT_ID = re.compile(r"[\x21-\x7e]{1,255}")
_SCOPE = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]+( [\x21\x23-\x5b\x5d-\x7e]+)*")  # RFC 6749, 3.3


class _SendBack(Exception):
    """An error the client hears about through its (already checked) redirect URI."""

    def __init__(self, response: Response) -> None:
        self.response = response


def add_authorize_routes(bp: Blueprint, provider: IdentityProvider) -> None:
    bp.register_error_handler(_SendBack, lambda exc: exc.response)

    @bp.get("/oauth/authorize")
    def authorize() -> Response:
        wanted = checked_request(provider, request.args)
        nonce = request.cookies.get(COOKIE) or secrets.token_urlsafe(24)
        form_token = provider.grants.issue("form", FORM_TTL_SECONDS, request=wanted, nonce=nonce)
        response = _page(wanted, form_token)
        response.set_cookie(
            COOKIE,
            nonce,
            max_age=FORM_TTL_SECONDS,
            path="/oauth/authorize",
            secure=provider.config.issuer.startswith("https:"),
            httponly=True,
            samesite="Strict",
        )
        return response

    @bp.post("/oauth/authorize")
    def sign_in() -> Response:
        wanted = _form_request(provider)
        name = request.form.get("name", "").strip()
        try:
            check_user_name(name)
        except ValueError as exc:
            return _page(wanted, request.form["form_token"], error=f"Your name: {exc}.", status=400)
        code = provider.grants.issue(
            "code",
            provider.config.code_ttl,
            sub=name,
            admin=request.form.get("admin") == "yes",
            **{k: wanted[k] for k in ("client_id", "redirect_uri", "code_challenge", "scope")},
            nonce=wanted.get("nonce"),
        )
        return send_back(provider, wanted, code=code)


def checked_request(provider: IdentityProvider, values: Mapping[str, str]) -> dict[str, Any]:
    """The authorization request in `values`: 400 until the redirect URI is trusted,
    then errors go back to the client (RFC 6749, section 4.1.2.1)."""
    client_id, redirect_uri = values.get("client_id", ""), values.get("redirect_uri", "")
    if not _CLIENT_ID.fullmatch(client_id):
        raise Problem(400, "Invalid authorization request", "client_id is missing or invalid.")
    if not provider.redirect_allowed(redirect_uri):
        raise Problem(
            400, "Invalid authorization request", "redirect_uri is not allowed for this provider."
        )
    wanted = {"client_id": client_id, "redirect_uri": redirect_uri, "state": values.get("state")}
    problem = _request_problem(values)
    if problem:
        raise _SendBack(send_back(provider, wanted, error=problem[0], error_description=problem[1]))
    scope, nonce = values.get("scope", ""), values.get("nonce")
    return {**wanted, "code_challenge": values["code_challenge"], "scope": scope, "nonce": nonce}


def _request_problem(values: Mapping[str, str]) -> tuple[str, str] | None:
    if values.get("response_type") != "code":
        return "unsupported_response_type", "Only response_type=code is supported."
    if values.get("code_challenge_method") != METHOD:
        return "invalid_request", "PKCE with code_challenge_method=S256 is required."
    if not CHALLENGE.fullmatch(values.get("code_challenge", "")):
        return "invalid_request", "code_challenge must be a base64url SHA-256 digest."
    if values.get("scope") and not _SCOPE.fullmatch(values["scope"]):
        return "invalid_scope", "scope is not a list of scope tokens."
    if len(values.get("nonce") or "") > 255:
        return "invalid_request", "nonce is longer than 255 characters."
    return None


def _form_request(provider: IdentityProvider) -> dict[str, Any]:
    """The authorization request the posted form was issued for (CSRF checks first)."""
    sent_from = request.headers.get("Origin")
    if sent_from is not None and not _ours(provider, sent_from):
        raise Problem(403, "Forbidden", "The sign-in form was posted from another site.")
    try:
        form = provider.grants.open("form", request.form.get("form_token", ""))
    except GrantError as exc:
        raise Problem(400, "Sign-in expired", "Start the sign-in again from your app.") from exc
    cookie = request.cookies.get(COOKIE, "").encode()
    if not hmac.compare_digest(form["nonce"].encode(), cookie):
        raise Problem(403, "Forbidden", "The sign-in form does not belong to this browser.")
    return form["request"]


def _ours(provider: IdentityProvider, sent_from: str) -> bool:
    """Whether an Origin header names this server (as reached, or as its issuer)."""
    if sent_from == origin(request.host_url):
        return True
    return same_origin(urlsplit(sent_from), urlsplit(provider.config.issuer))


def send_back(provider: IdentityProvider, wanted: Mapping[str, Any], **params: str) -> Response:
    """303 to the client's redirect URI with `params`, its `state` and our issuer (RFC 9207)."""
    parts = urlsplit(wanted["redirect_uri"])
    query = parse_qsl(parts.query, keep_blank_values=True)
    query += [(k, v) for k, v in params.items()]
    if wanted.get("state") is not None:
        query.append(("state", wanted["state"]))
    query.append(("iss", provider.config.issuer))
    response = redirect(urlunsplit(parts._replace(query=urlencode(query))), code=303)
    response.headers["Cache-Control"] = "no-store"
    return response


def _page(
    wanted: Mapping[str, Any], form_token: str, error: str = "", status: int = 200
) -> Response:
    html = render_template(
        "identity/signin.html",
        client_id=wanted["client_id"],
        return_to=origin(wanted["redirect_uri"]),
        form_token=form_token,
        error=error,
    )
    response = Response(html, status=status, mimetype="text/html")
    # The browser follows the POST's redirect to the client: CSP's form-action covers it.
    response.headers["Content-Security-Policy"] = content_security_policy(
        form_action=("'self'", origin(wanted["redirect_uri"]))
    )
    # Under `no-referrer` browsers post the form with `Origin: null`, which the CSRF check
    # refuses; `same-origin` sends the real Origin here and nothing to other sites.
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Cache-Control"] = "no-store"
    return response
