"""The web page: its shell at `/`, its files under `/static/`, its icon, and `/config.json`.

`/config.json` tells the page where to sign in: the configured OIDC issuer, else the
built-in provider's issuer, else this origin; and the client id to sign in as. When
the issuer lives on another origin, the shell's CSP lets the page fetch from there
(discovery and the token endpoint) and from nowhere else.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from flask import Blueprint, Response, jsonify, request, send_from_directory

from functions.shared.security.headers import content_security_policy
from functions.shared.settings import Settings

SCOPE = "openid"


def page_routes(settings: Settings, static: Path) -> Blueprint:
    bp = Blueprint("page", __name__)

    @bp.get("/")
    def index() -> Response:
        response = send_from_directory(static, "index.html", max_age=0)
        issuer = issuer_of(settings)
        if _origin(issuer) != _origin(request.host_url):
            sources = ("'self'", _origin(issuer))
            response.headers["Content-Security-Policy"] = content_security_policy(
                connect_src=sources
            )
        return response

    @bp.get("/favicon.ico")  # pages without an icon link (the sign-in page) ask for this
    def favicon() -> Response:
        return send_from_directory(static, "icon.svg", mimetype="image/svg+xml", max_age=86400)

    @bp.get("/config.json")
    def config() -> Response:
        response = jsonify(
            issuer=issuer_of(settings), client_id=settings.web_client_id, scope=SCOPE
        )
        response.headers["Cache-Control"] = "no-cache"
        return response

    return bp


def issuer_of(settings: Settings) -> str:
    """The issuer the page signs in with (this origin when none is configured)."""
    issuer = settings.oidc_issuer or settings.token_issuer or request.host_url
    return issuer.rstrip("/")


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()
