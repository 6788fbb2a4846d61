"""No NUL character reaches a query: PostgreSQL's text cannot hold one, and no id, name or
filter of ours has one. A path holding one names nothing (404); a body holding one is a 400
(`strict_json`); a query parameter holding one is a 422 where it is parsed
(`functions.shared.web.query_values`)."""

from __future__ import annotations

from flask import Flask, request
from werkzeug.exceptions import NotFound

NUL = "\x00"


def install_nul_guard(app: Flask) -> None:
    @app.before_request
    def _no_nul_in_the_path() -> None:
        if NUL in request.path:
            raise NotFound()
