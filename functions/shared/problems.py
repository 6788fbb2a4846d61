"""RFC 9457 problem details for every HTTP error the apps answer."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from flask import Flask, Response, json, request
from werkzeug.exceptions import HTTPException

from functions.shared.db import is_bad_data, is_unavailable

log = logging.getLogger(__name__)
PROBLEM_JSON = "application/problem+json"
URI_SAFE = "/:@!$&'()*+,;=-._~"


class Problem(Exception):
    """Raise to answer a problem+json response."""

    def __init__(self, status: int, title: str, detail: str | None = None, **extra: Any) -> None:
        super().__init__(detail or title)
        self.status, self.title, self.detail, self.extra = status, title, detail, extra


class ValidationFailed(Problem):
    """422 with one entry per offending field: `[{"field": ..., "message": ...}]`."""

    def __init__(self, errors: list[dict[str, str]]) -> None:
        fields = ", ".join(sorted({e["field"] for e in errors}))
        super().__init__(422, "Validation failed", f"Invalid fields: {fields}", errors=errors)

    def response(self) -> Response:
        return problem_response(self.status, self.title, self.detail, **self.extra)


def problem_body(status: int, title: str, detail: str | None, instance: str, **extra: Any) -> str:
    """The RFC 9457 document, as JSON text."""
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body["instance"] = quote(instance, safe=URI_SAFE)  # a URI reference, whatever the path held
    body.update(extra)
    return json.dumps(body)


def problem_response(status: int, title: str, detail: str | None = None, **extra: Any) -> Response:
    body = problem_body(status, title, detail, request.path, **extra)
    return Response(body, status=status, mimetype=PROBLEM_JSON)


def register_problem_handlers(app: Flask) -> None:
    @app.errorhandler(Problem)
    def _problem(exc: Problem) -> Response:
        return problem_response(exc.status, exc.title, exc.detail, **exc.extra)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Response:
        response = problem_response(exc.code or 500, exc.name, exc.description)
        if exc.code == 405 and exc.valid_methods:
            response.headers["Allow"] = ", ".join(exc.valid_methods)
        return response

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        if is_unavailable(exc):
            log.warning("database unavailable", extra={"error": str(exc)})
            response = problem_response(
                503,
                "Service Unavailable",
                "The database is not reachable; nothing was written.",
                dependency="database",
            )
            response.headers["Retry-After"] = "5"
            return response
        if is_bad_data(exc):  # a value no validation caught and the database will not store
            log.warning("value refused by the database", extra={"error": exc.__class__.__name__})
            message = "holds a value the database cannot store (too long, or a NUL character)"
            return ValidationFailed([{"field": "request", "message": message}]).response()
        log.exception("unhandled error")
        return problem_response(500, "Internal Server Error", "An unexpected error occurred.")
