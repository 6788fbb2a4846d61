"""Who may call, at the HTTP door of the todo service, on SQLite and PostgreSQL: every
token rule answers 401 with `WWW-Authenticate`, another user's task is a missing one,
the admin routes need the admin role."""

from __future__ import annotations

import time
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.support.api import Api
from tests.support.identity import TEST_ISSUER, As, public_key_pem, session_kid, signed
from tests.support.tokens import hs256_with, unsigned

pytestmark = pytest.mark.api


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    values = {"iss": TEST_ISSUER, "aud": "todomesh", "sub": "alice", "iat": now, "nbf": now}
    return {**values, "exp": now + 600, **overrides}


FORGED = {
    "expired": lambda: signed(claims(exp=int(time.time()) - 300)),
    "not_yet_valid": lambda: signed(claims(nbf=int(time.time()) + 300)),
    "wrong_issuer": lambda: signed(claims(iss="https://evil.example")),
    "wrong_audience": lambda: signed(claims(aud="someone-else")),
    "bad_signature": lambda: signed(claims())[:-6] + "AAAAAA",
    "unsupported_algorithm": lambda: unsigned(claims(), session_kid()),
    "algorithm_confusion": lambda: hs256_with(public_key_pem(), claims(), session_kid()),
    "unknown_key": lambda: signed(claims(), kid="no-such-key"),
    "malformed": lambda: "not-a-jwt",
}


@pytest.mark.parametrize("case", sorted(FORGED))
def test_a_bad_token_is_401_with_the_reason(client: FlaskClient, case: str) -> None:
    response = client.get("/api/tasks", headers={"Authorization": f"Bearer {FORGED[case]()}"})
    assert response.status_code == 401, response.get_json()
    challenge = response.headers["WWW-Authenticate"]
    assert challenge.startswith('Bearer realm="todomesh", error="invalid_token"')
    assert response.content_type == "application/problem+json"
    expected = {"algorithm_confusion": "unsupported_algorithm"}.get(case, case)
    assert response.get_json()["reason"] == expected


def test_no_token_is_401_without_an_error_code(client: FlaskClient) -> None:
    response = client.post("/api/tasks", json={"title": "x"})
    assert (response.status_code, response.headers["WWW-Authenticate"]) == (
        401,
        'Bearer realm="todomesh"',
    )


def test_another_users_task_answers_exactly_like_a_missing_one(
    alice: Api, bob: Api, client: FlaskClient
) -> None:
    task = alice.create(title="Alice's")
    missing = "00000000-0000-0000-0000-000000000000"
    for method, suffix, body in [
        ("get", "", None),
        ("patch", "", {"title": "mine now"}),
        ("delete", "", None),
        ("post", "/complete", None),
        ("post", "/reopen", None),
    ]:
        theirs = getattr(bob, method)(f"/api/tasks/{task['id']}{suffix}", json=body)
        nothing = getattr(bob, method)(f"/api/tasks/{missing}{suffix}", json=body)
        assert theirs.status_code == nothing.status_code == 404
        assert theirs.get_json() | {"instance": "", "detail": ""} == nothing.get_json() | {
            "instance": "",
            "detail": "",
        }
        assert task["id"] in theirs.get_json()["detail"] and missing in nothing.get_json()["detail"]
    assert alice.get(f"/api/tasks/{task['id']}").get_json()["title"] == "Alice's"
    assert [t["id"] for t in bob.get("/api/tasks").get_json()["items"]] == []


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/admin/dead-letters"),
        ("post", "/api/admin/dead-letters/1/replay"),
        ("post", "/api/admin/dead-letters/replay"),
    ],
)
def test_a_non_admin_at_every_admin_route_is_403(
    client: FlaskClient, method: str, path: str
) -> None:
    response = getattr(client, method)(path, json={}, headers=As("alice"))
    assert response.status_code == 403
    admin = getattr(client, method)(path, json={}, headers=As("root", admin=True))
    assert admin.status_code in (200, 202, 404)
