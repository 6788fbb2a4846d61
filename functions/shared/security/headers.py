"""Security headers on every response: a CSP without inline script or style, no
sniffing, no referrer, no framing, and a window of our own.

A response that already sets one of these headers keeps its own value (the
sign-in page widens `form-action` to the client it redirects to, for example).
"""

from __future__ import annotations

from collections.abc import Sequence

from flask import Flask, Response


def content_security_policy(
    form_action: Sequence[str] = ("'self'",), connect_src: Sequence[str] = ("'self'",)
) -> str:
    directives = {
        "default-src": "'self'",
        "script-src": "'self'",
        "style-src": "'self'",
        "img-src": "'self' data:",
        "connect-src": " ".join(connect_src),
        "frame-ancestors": "'none'",
        "base-uri": "'none'",
        "form-action": " ".join(form_action),
    }
    return "; ".join(f"{name} {value}" for name, value in directives.items())


def security_headers() -> dict[str, str]:
    return {
        "Content-Security-Policy": content_security_policy(),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cross-Origin-Opener-Policy": "same-origin",
        "X-Frame-Options": "DENY",  # frame-ancestors for browsers without CSP level 2
    }


def install_security_headers(app: Flask) -> None:
    headers = security_headers()

    @app.after_request
    def _secure(response: Response) -> Response:
        for name, value in headers.items():
            response.headers.setdefault(name, value)
        return response
