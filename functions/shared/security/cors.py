"""CORS: closed unless TODOMESH_CORS_ORIGINS lists exact origins, then opened to those.

flask-cors answers preflights and adds the headers. Each configured origin must
be exactly `scheme://host[:port]`: no wildcard, no path, no `null`, so flask-cors
never reads one as a pattern. Credentials (cookies) are never allowed: the API
takes bearer tokens in the Authorization header, which needs none.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit

from flask import Flask
from flask_cors import CORS

ALLOWED_HEADERS = ["Authorization", "Content-Type", "If-Match", "If-None-Match"]
EXPOSED_HEADERS = ["ETag", "Location", "Retry-After", "WWW-Authenticate"]
PREFLIGHT_MAX_AGE_SECONDS = 600


def parse_origins(value: str) -> tuple[str, ...]:
    """TODOMESH_CORS_ORIGINS: origins separated by commas or spaces; ValueError for
    anything that is not exactly an http(s) origin."""
    origins = tuple(item for item in value.replace(",", " ").split() if item)
    for item in origins:
        if not _is_origin(item):
            raise ValueError(
                f"TODOMESH_CORS_ORIGINS: {item!r} is not an origin such as https://app.example.com"
            )
    return origins


def install_cors(app: Flask, origins: Sequence[str]) -> None:
    """Allow cross-origin calls from `origins` (exact); with none, add nothing at all."""
    for item in origins:
        if not _is_origin(item):
            raise ValueError(f"{item!r} is not an origin")
    if not origins:
        return
    CORS(
        app,
        origins=list(origins),
        allow_headers=ALLOWED_HEADERS,
        expose_headers=EXPOSED_HEADERS,
        supports_credentials=False,
        max_age=PREFLIGHT_MAX_AGE_SECONDS,
    )


def _is_origin(value: str) -> bool:
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        return False
    rebuilt = f"{parts.scheme}://{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    host = parts.hostname or ""
    return (
        parts.scheme in ("http", "https")
        and value == rebuilt
        and bool(host)
        and all(c.isalnum() or c in ".-" for c in host)
    )
