"""The built-in provider's routes: discovery, keys, sign-in and tokens, in one blueprint."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from functions.identity.authorize import add_authorize_routes
from functions.identity.provider import IdentityProvider
from functions.identity.token_endpoint import add_token_route

# The paths an app hosting the blueprint must receive (the embedded router's prefixes).
PATHS = ("/.well-known/", "/oauth/")


def create_blueprint(provider: IdentityProvider) -> Blueprint:
    bp = Blueprint(
        "identity",
        __name__,
        template_folder="templates",
        static_folder="static",
        static_url_path="/oauth/static",
    )

    @bp.get("/.well-known/openid-configuration")
    @bp.get("/.well-known/oauth-authorization-server")
    def metadata() -> Response:
        return _cached(jsonify(provider.metadata()))

    @bp.get("/.well-known/jwks.json")
    def jwks() -> Response:
        return _cached(jsonify(provider.jwks()))

    add_authorize_routes(bp, provider)
    add_token_route(bp, provider)
    return bp


def _cached(response: Response) -> Response:
    response.headers["Cache-Control"] = "public, max-age=300"
    return response
