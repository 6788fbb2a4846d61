"""Errors the views do not handle become problems: a database that is down is a 503, a value
it will never store a 422, anything else a 500 that says nothing of the cause."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy.exc import DataError, OperationalError, ProgrammingError

from functions.shared.problems import register_problem_handlers


class PgError(Exception):
    """What pg8000 raises: the server's fields as a dict."""


def app_raising(exc: Exception) -> Flask:
    app = Flask(__name__)
    register_problem_handlers(app)

    @app.get("/boom")
    def boom() -> None:
        raise exc

    return app


@pytest.mark.parametrize(
    "exc",
    [
        DataError("INSERT", {}, Exception("value too long")),
        ProgrammingError("INSERT", {}, PgError({"C": "22001", "M": "value too long"})),
        ProgrammingError("INSERT", {}, PgError({"C": "22021", "M": "invalid byte 0x00"})),
        OverflowError("Python int too large to convert to SQLite INTEGER"),
    ],
)
def test_a_value_the_database_refuses_is_422(exc: Exception) -> None:
    response = app_raising(exc).test_client().get("/boom")
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["errors"][0]["field"] == "request"


def test_a_database_that_is_down_is_503() -> None:
    down = OperationalError("SELECT 1", {}, ConnectionRefusedError("down"))
    response = app_raising(down).test_client().get("/boom")
    assert (response.status_code, response.get_json()["dependency"]) == (503, "database")


def test_anything_else_is_a_500_that_names_no_cause() -> None:
    syntax = ProgrammingError("SELEC", {}, PgError({"C": "42601", "M": "syntax error"}))
    for exc in (syntax, RuntimeError("secret detail")):
        response = app_raising(exc).test_client().get("/boom")
        assert response.status_code == 500
        assert "secret" not in response.get_data(as_text=True)
