"""Security headers on every response, and CORS: closed by default, open to listed origins."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask, Response, jsonify
from flask.testing import FlaskClient

from functions.shared.problems import Problem, register_problem_handlers
from functions.shared.security.cors import install_cors, parse_origins
from functions.shared.security.headers import install_security_headers

ALLOWED = "https://app.example.com"
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)


def make_app(origins: tuple[str, ...] = ()) -> Flask:
    app = Flask(__name__)
    register_problem_handlers(app)
    install_security_headers(app)
    install_cors(app, origins)

    @app.get("/api/tasks")
    def tasks() -> Response:
        return jsonify(items=[])

    @app.patch("/api/tasks/<task_id>")
    def update(task_id: str) -> Response:
        return jsonify(id=task_id)

    @app.get("/broken")
    def broken() -> Response:
        raise Problem(401, "Unauthorized", "no token")

    @app.get("/own-policy")
    def own_policy() -> Response:
        response = jsonify(ok=True)
        response.headers["Content-Security-Policy"] = "default-src 'none'"
        return response

    return app


@pytest.fixture
def closed() -> Iterator[FlaskClient]:
    with make_app().test_client() as client:
        yield client


@pytest.fixture
def opened() -> Iterator[FlaskClient]:
    with make_app((ALLOWED, "http://localhost:5173")).test_client() as client:
        yield client


@pytest.mark.parametrize("path", ["/api/tasks", "/broken", "/missing"])
def test_every_response_carries_the_security_headers(closed: FlaskClient, path: str) -> None:
    headers = closed.get(path).headers
    assert headers["Content-Security-Policy"] == CSP
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert headers["X-Frame-Options"] == "DENY"


def test_a_route_may_set_its_own_policy(closed: FlaskClient) -> None:
    headers = closed.get("/own-policy").headers
    assert headers.getlist("Content-Security-Policy") == ["default-src 'none'"]


def test_cors_is_closed_by_default(closed: FlaskClient) -> None:
    response = closed.get("/api/tasks", headers={"Origin": ALLOWED})
    assert "Access-Control-Allow-Origin" not in response.headers
    preflight = closed.options(
        "/api/tasks/1",
        headers={"Origin": ALLOWED, "Access-Control-Request-Method": "PATCH"},
    )
    assert "Access-Control-Allow-Origin" not in preflight.headers
    assert "Access-Control-Allow-Methods" not in preflight.headers


def test_a_listed_origin_is_allowed(opened: FlaskClient) -> None:
    response = opened.get("/api/tasks", headers={"Origin": ALLOWED})
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED
    assert "Origin" in response.headers["Vary"]
    assert "Access-Control-Allow-Credentials" not in response.headers
    assert "ETag" in response.headers["Access-Control-Expose-Headers"]


def test_an_unlisted_origin_gets_no_cors_headers(opened: FlaskClient) -> None:
    for origin in ("https://evil.example", "https://app.example.com.evil.example", "null"):
        response = opened.get("/api/tasks", headers={"Origin": origin})
        assert "Access-Control-Allow-Origin" not in response.headers, origin


def test_a_preflight_from_a_listed_origin(opened: FlaskClient) -> None:
    preflight = opened.options(
        "/api/tasks/1",
        headers={
            "Origin": ALLOWED,
            "Access-Control-Request-Method": "PATCH",
            "Access-Control-Request-Headers": "Authorization, Content-Type, If-Match",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == ALLOWED
    assert "PATCH" in preflight.headers["Access-Control-Allow-Methods"]
    allowed_headers = preflight.headers["Access-Control-Allow-Headers"].lower()
    assert "authorization" in allowed_headers and "if-match" in allowed_headers
    assert preflight.headers["Access-Control-Max-Age"] == "600"


def test_a_preflight_from_an_unlisted_origin(opened: FlaskClient) -> None:
    preflight = opened.options(
        "/api/tasks/1",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "PATCH"},
    )
    assert "Access-Control-Allow-Origin" not in preflight.headers


def test_errors_carry_cors_headers_for_a_listed_origin(opened: FlaskClient) -> None:
    response = opened.get("/broken", headers={"Origin": ALLOWED})
    assert response.status_code == 401
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED


def test_the_origins_setting() -> None:
    assert parse_origins("https://a.example, http://localhost:5173 https://b.example:8443") == (
        "https://a.example",
        "http://localhost:5173",
        "https://b.example:8443",
    )
    assert parse_origins("") == ()


@pytest.mark.parametrize(
    "value",
    [
        "*",
        "null",
        "https://*.example.com",
        "https://a.example/path",
        "a.example",
        "ftp://a.example",
        "https://A.example",
        "https://a.example:99999",
        "https://user@a.example",
        "https://(a|b).example",
    ],
)
def test_anything_but_an_exact_origin_is_refused(value: str) -> None:
    with pytest.raises(ValueError, match="TODOMESH_CORS_ORIGINS"):
        parse_origins(value)
