"""Reading the bearer token off a request, and the 401 that refuses one (RFC 6750)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask, jsonify
from flask.testing import FlaskClient
from jwt import PyJWKSet
from werkzeug.datastructures import Headers

from functions.shared.identity import (
    CachedKeySet,
    KeysUnavailable,
    TokenError,
    TokenVerifier,
    bearer_token,
    websocket_token,
)
from functions.shared.identity.web import (
    current_admin,
    current_caller,
    init_identity,
    optional_caller,
)
from functions.shared.problems import register_problem_handlers
from tests.support.tokens import AUDIENCE, ISSUER, KeyPair, claims, key_set

JWT = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln"


@pytest.mark.parametrize(
    ("values", "token"),
    [
        ([], None),
        ([f"Bearer {JWT}"], JWT),
        ([f"bearer {JWT}"], JWT),
        ([f"BEARER {JWT}"], JWT),
        (["Bearer mF_9.B5f-4.1JqM"], "mF_9.B5f-4.1JqM"),
        (["Bearer abc+/=="], "abc+/=="),
    ],
)
def test_a_bearer_token_is_read(values: list[str], token: str | None) -> None:
    headers = Headers([("Authorization", v) for v in values])
    assert bearer_token(headers) == token


@pytest.mark.parametrize(
    "values",
    [
        [""],
        ["Bearer"],
        ["Bearer "],
        [f"Bearer  {JWT}"],
        [f"Bearer {JWT} extra"],
        [f"Bearer {JWT} "],
        ["Basic dXNlcjpwYXNz"],
        [JWT],
        [f"Token {JWT}"],
        ["Bearer a=b"],
        ["Bearer a,b"],
        [f"Bearer {JWT}", f"Bearer {JWT}"],
    ],
)
def test_any_other_authorization_is_malformed(values: list[str]) -> None:
    with pytest.raises(TokenError) as caught:
        bearer_token(Headers([("Authorization", v) for v in values]))
    assert caught.value.reason == "malformed"


def test_a_plain_mapping_works_too() -> None:
    assert bearer_token({"authorization": f"Bearer {JWT}"}) == JWT
    assert bearer_token({"Accept": "*/*"}) is None


@pytest.mark.parametrize(
    ("values", "token"),
    [
        ([], None),
        (["chat, v2"], None),
        ([f"bearer, {JWT}"], JWT),
        ([f"Bearer,{JWT}"], JWT),
        ([f"todomesh.v1, bearer, {JWT}"], JWT),
        (["bearer", JWT], JWT),
    ],
)
def test_a_websocket_token_is_read_from_the_subprotocols(
    values: list[str], token: str | None
) -> None:
    headers = Headers([("Sec-WebSocket-Protocol", v) for v in values])
    assert websocket_token(headers) == token


@pytest.mark.parametrize("value", ["bearer", "bearer, ", "bearer, a b", "chat, bearer"])
def test_a_websocket_bearer_without_its_token_is_malformed(value: str) -> None:
    with pytest.raises(TokenError) as caught:
        websocket_token(Headers([("Sec-WebSocket-Protocol", value)]))
    assert caught.value.reason == "malformed"


class Unreachable:
    def signing_key(self, kid: str) -> object:
        raise KeysUnavailable("down")


@pytest.fixture(scope="module")
def key() -> KeyPair:
    return KeyPair.es256()


def app_with(keys: object) -> Flask:
    app = Flask(__name__)
    register_problem_handlers(app)
    init_identity(app, TokenVerifier(keys, issuer=ISSUER, audience=AUDIENCE))  # type: ignore[arg-type]

    @app.get("/me")
    def me() -> object:
        caller = current_caller()
        return jsonify(user=caller.user_id, admin=caller.is_admin)

    @app.get("/admin")
    def admin() -> object:
        return jsonify(user=current_admin().user_id)

    @app.get("/maybe")
    def maybe() -> object:
        caller = optional_caller()
        return jsonify(user=caller.user_id if caller else None)

    return app


@pytest.fixture
def client(key: KeyPair) -> Iterator[FlaskClient]:
    keys = CachedKeySet(lambda: PyJWKSet.from_dict(key_set(key)))
    with app_with(keys).test_client() as test_client:
        yield test_client


def test_a_verified_caller_reaches_the_view(client: FlaskClient, key: KeyPair) -> None:
    token = key.sign(claims(roles=["admin"]))
    response = client.get("/me", headers={"Authorization": f"Bearer {token}"})
    assert response.json == {"user": "alice", "admin": True}


def test_only_an_administrator_passes_the_admin_check(client: FlaskClient, key: KeyPair) -> None:
    admin = client.get(
        "/admin", headers={"Authorization": f"Bearer {key.sign(claims(roles=['admin']))}"}
    )
    user = client.get("/admin", headers={"Authorization": f"Bearer {key.sign(claims())}"})
    assert (admin.status_code, admin.json) == (200, {"user": "alice"})
    assert user.status_code == 403 and user.mimetype == "application/problem+json"
    assert client.get("/admin").status_code == 401


def test_no_token_is_challenged_without_an_error_code(client: FlaskClient) -> None:
    response = client.get("/me")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="todomesh"'
    assert response.mimetype == "application/problem+json"
    assert response.json["reason"] == "missing"
    assert response.json["status"] == 401


def test_a_bad_token_is_challenged_with_the_reason(client: FlaskClient, key: KeyPair) -> None:
    token = key.sign(claims(audience="elsewhere"))
    response = client.get("/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    challenge = response.headers["WWW-Authenticate"]
    assert challenge.startswith('Bearer realm="todomesh", error="invalid_token", ')
    assert 'error_description="The token is meant for another audience."' in challenge
    assert response.json["reason"] == "wrong_audience"
    assert response.json["detail"] == "The token is meant for another audience."


def test_a_malformed_header_is_challenged_as_an_invalid_token(client: FlaskClient) -> None:
    response = client.get("/me", headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
    assert response.json["reason"] == "malformed"


def test_the_optional_caller_is_none_for_a_bad_token(client: FlaskClient, key: KeyPair) -> None:
    assert client.get("/maybe").json == {"user": None}
    bad = client.get("/maybe", headers={"Authorization": "Bearer nonsense"})
    assert bad.json == {"user": None}
    good = client.get("/maybe", headers={"Authorization": f"Bearer {key.sign(claims())}"})
    assert good.json == {"user": "alice"}


def test_unreachable_keys_answer_503_not_401(key: KeyPair) -> None:
    with app_with(Unreachable()).test_client() as unreachable:
        response = unreachable.get("/me", headers={"Authorization": f"Bearer {key.sign(claims())}"})
    assert response.status_code == 503
    assert response.headers["Retry-After"]
    assert response.json["dependency"] == "identity"
