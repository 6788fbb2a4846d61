"""The built-in provider's OAuth 2.1 code flow with PKCE, through Flask's test client."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from functions.identity import IdentityProvider, ProviderConfig, create_blueprint
from functions.identity.keystore import thumbprint
from functions.identity.pkce import s256
from functions.shared.identity import TokenVerifier, verifier_from_settings
from functions.shared.problems import register_problem_handlers
from functions.shared.security.headers import install_security_headers
from functions.shared.settings import Settings

ISSUER = "http://127.0.0.1:8000"
CALLBACK = "http://127.0.0.1:8000/callback"
CLIENT = "todomesh-web"
VERIFIER = "v" * 20 + "-._~" + "0123456789abcdefghijklmnop"


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def provider(tmp_path: Path, clock: Clock) -> IdentityProvider:
    config = ProviderConfig(tmp_path, ISSUER, redirect_uris=("http://127.0.0.1/mcp/callback",))
    return IdentityProvider.open(config, clock=clock)


@pytest.fixture
def client(provider: IdentityProvider) -> Iterator[FlaskClient]:
    app = Flask(__name__)
    register_problem_handlers(app)
    install_security_headers(app)
    app.register_blueprint(create_blueprint(provider))
    with app.test_client() as test_client:
        yield test_client


@pytest.fixture
def verifier(tmp_path: Path) -> TokenVerifier:
    return verifier_from_settings(Settings(data_dir=tmp_path))


def request_params(**overrides: str | None) -> dict[str, str]:
    params = {
        "response_type": "code",
        "client_id": CLIENT,
        "redirect_uri": CALLBACK,
        "code_challenge": s256(VERIFIER),
        "code_challenge_method": "S256",
        "state": "st-123",
        "scope": "openid offline_access",
        "nonce": "n-1",
        **overrides,
    }
    return {k: v for k, v in params.items() if v is not None}


def form_token(page: TestResponse) -> str:
    found = re.search(r'name="form_token" value="([^"]+)"', page.text)
    assert found, page.text
    return found[1]


def sign_in(client: FlaskClient, name: str = "alice", admin: bool = False, **params: Any) -> str:
    page = client.get("/oauth/authorize", query_string=request_params(**params))
    assert page.status_code == 200, page.text
    form = {"form_token": form_token(page), "name": name, **({"admin": "yes"} if admin else {})}
    answer = client.post("/oauth/authorize", data=form)
    assert answer.status_code == 303, answer.text
    query = parse_qs(urlsplit(answer.headers["Location"]).query)
    assert query["state"] == ["st-123"] and query["iss"] == [ISSUER]
    return query["code"][0]


def exchange(client: FlaskClient, code: str, **overrides: str) -> TestResponse:
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "client_id": CLIENT,
        "redirect_uri": CALLBACK,
        "code_verifier": VERIFIER,
        **overrides,
    }
    return client.post("/oauth/token", data=form)


def refresh(client: FlaskClient, token: str) -> TestResponse:
    form = {"grant_type": "refresh_token", "refresh_token": token, "client_id": CLIENT}
    return client.post("/oauth/token", data=form)


def refused(response: TestResponse, error: str = "invalid_grant") -> str:
    assert response.status_code == 400
    assert response.json["error"] == error
    assert response.headers["Cache-Control"] == "no-store"
    return response.json["error_description"]


def test_the_discovery_document(client: FlaskClient) -> None:
    document = client.get("/.well-known/openid-configuration").json
    assert document["issuer"] == ISSUER
    assert document["authorization_endpoint"] == ISSUER + "/oauth/authorize"
    assert document["token_endpoint"] == ISSUER + "/oauth/token"
    assert document["jwks_uri"] == ISSUER + "/.well-known/jwks.json"
    assert document["response_types_supported"] == ["code"]
    assert document["grant_types_supported"] == ["authorization_code", "refresh_token"]
    assert document["code_challenge_methods_supported"] == ["S256"]
    assert document["token_endpoint_auth_methods_supported"] == ["none"]
    assert document["id_token_signing_alg_values_supported"] == ["ES256"]
    assert "openid" in document["scopes_supported"]
    assert client.get("/.well-known/oauth-authorization-server").json == document


def test_the_key_set(client: FlaskClient) -> None:
    (key,) = client.get("/.well-known/jwks.json").json["keys"]
    assert (key["kty"], key["crv"], key["alg"], key["use"]) == ("EC", "P-256", "ES256", "sig")
    assert key["kid"] == thumbprint(key)
    assert "d" not in key, "the private part never leaves the data directory"


def test_the_sign_in_page_is_for_development_and_has_no_inline_code(client: FlaskClient) -> None:
    page = client.get("/oauth/authorize", query_string=request_params())
    html = page.text
    assert "For development only" in html and "anyone can be anyone" in html
    assert "<script" not in html.lower()
    assert "<style" not in html.lower() and " style=" not in html.lower()
    assert not re.search(r"\son[a-z]+\s*=", html), "no inline event handlers"
    css = client.get(re.search(r'href="([^"]+\.css)"', html)[1])
    assert css.status_code == 200 and css.mimetype == "text/css"
    css.close()
    policy = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy
    assert "form-action 'self' http://127.0.0.1:8000" in policy
    assert page.headers["Cache-Control"] == "no-store"
    # Under the default no-referrer, browsers post the form with `Origin: null`.
    assert page.headers["Referrer-Policy"] == "same-origin"


def test_the_whole_flow(client: FlaskClient, verifier: TokenVerifier) -> None:
    tokens = exchange(client, sign_in(client, "alice"))
    assert tokens.status_code == 200 and tokens.headers["Cache-Control"] == "no-store"
    body = tokens.json
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    caller = verifier.verify(body["access_token"])
    assert (caller.user_id, caller.is_admin) == ("alice", False)
    assert caller.claims["client_id"] == CLIENT
    assert body["refresh_token"] and body["id_token"]


def test_the_administrator_checkbox(client: FlaskClient, verifier: TokenVerifier) -> None:
    body = exchange(client, sign_in(client, "ops", admin=True)).json
    caller = verifier.verify(body["access_token"])
    assert (caller.user_id, caller.is_admin) == ("ops", True)


def test_a_wrong_verifier_is_refused_and_spends_the_code(client: FlaskClient) -> None:
    code = sign_in(client)
    assert "code_verifier" in refused(exchange(client, code, code_verifier="w" * 43))
    assert "used already" in refused(exchange(client, code))


def test_a_code_is_used_once(client: FlaskClient) -> None:
    code = sign_in(client)
    assert exchange(client, code).status_code == 200
    assert "used already" in refused(exchange(client, code))


def test_the_redirect_uri_must_match(client: FlaskClient) -> None:
    code = sign_in(client)
    other = "http://127.0.0.1:8000/elsewhere"
    assert "redirect_uri" in refused(exchange(client, code, redirect_uri=other))


def test_the_client_must_match(client: FlaskClient) -> None:
    assert "another client" in refused(exchange(client, sign_in(client), client_id="other"))


def test_an_expired_code_is_refused(client: FlaskClient, clock: Clock) -> None:
    code = sign_in(client)
    clock.now += 61
    assert "expired" in refused(exchange(client, code))


def test_a_forged_code_is_refused(client: FlaskClient) -> None:
    code = sign_in(client)
    assert "not issued here" in refused(exchange(client, code[:-2] + "xx"))


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"code_challenge_method": "plain", "code_challenge": VERIFIER}, "invalid_request"),
        ({"code_challenge_method": None}, "invalid_request"),
        ({"code_challenge": None}, "invalid_request"),
        ({"code_challenge": "short"}, "invalid_request"),
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"scope": 'openid "quoted"'}, "invalid_scope"),
    ],
)
def test_a_bad_request_goes_back_to_the_client(
    client: FlaskClient, change: dict[str, str | None], error: str
) -> None:
    answer = client.get("/oauth/authorize", query_string=request_params(**change))
    assert answer.status_code == 303
    location = urlsplit(answer.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == CALLBACK
    query = parse_qs(location.query)
    assert query["error"] == [error] and query["state"] == ["st-123"]


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "https://evil.example/callback",
        "http://127.0.0.1:8000.evil.example/callback",
        "http://127.0.0.1:8000@evil.example/callback",
        "http://127.0.0.1:8001/callback",
        "http://127.0.0.1:8000/callback#fragment",
        "/callback",
        "javascript:alert(1)",
        None,
    ],
)
def test_an_untrusted_redirect_uri_is_never_followed(
    client: FlaskClient, redirect_uri: str | None
) -> None:
    answer = client.get("/oauth/authorize", query_string=request_params(redirect_uri=redirect_uri))
    assert answer.status_code == 400
    assert "Location" not in answer.headers
    assert answer.mimetype == "application/problem+json"


def test_a_listed_loopback_redirect_matches_any_port(client: FlaskClient) -> None:
    uri = "http://127.0.0.1:53712/mcp/callback"
    page = client.get("/oauth/authorize", query_string=request_params(redirect_uri=uri))
    assert page.status_code == 200
    assert "form-action 'self' http://127.0.0.1:53712" in page.headers["Content-Security-Policy"]


def test_refresh_tokens_rotate(client: FlaskClient, verifier: TokenVerifier) -> None:
    first = exchange(client, sign_in(client, "alice")).json
    second = refresh(client, first["refresh_token"])
    assert second.status_code == 200, second.text
    assert second.json["refresh_token"] != first["refresh_token"]
    assert verifier.verify(second.json["access_token"]).user_id == "alice"
    third = refresh(client, second.json["refresh_token"])
    assert third.status_code == 200


def test_a_reused_refresh_token_revokes_its_family(client: FlaskClient) -> None:
    first = exchange(client, sign_in(client)).json
    second = refresh(client, first["refresh_token"]).json
    assert "used already" in refused(refresh(client, first["refresh_token"]))
    assert "revoked" in refused(refresh(client, second["refresh_token"]))


def test_an_expired_refresh_token_is_refused(client: FlaskClient, clock: Clock) -> None:
    first = exchange(client, sign_in(client)).json
    clock.now += 8 * 3600 + 1
    assert "expired" in refused(refresh(client, first["refresh_token"]))


def test_an_unknown_grant_type(client: FlaskClient) -> None:
    response = client.post("/oauth/token", data={"grant_type": "password"})
    refused(response, "unsupported_grant_type")


def test_a_missing_parameter(client: FlaskClient) -> None:
    response = client.post("/oauth/token", data={"grant_type": "authorization_code"})
    assert "code_verifier" in refused(response, "invalid_request")


def test_a_bad_name_shows_the_form_again(client: FlaskClient) -> None:
    page = client.get("/oauth/authorize", query_string=request_params())
    again = client.post("/oauth/authorize", data={"form_token": form_token(page), "name": "a b"})
    assert again.status_code == 400
    assert "Location" not in again.headers
    assert 'role="alert"' in again.text and "form_token" in again.text


def test_the_form_needs_its_cookie(client: FlaskClient) -> None:
    page = client.get("/oauth/authorize", query_string=request_params())
    client.delete_cookie("todomesh_signin", path="/oauth/authorize")
    answer = client.post("/oauth/authorize", data={"form_token": form_token(page), "name": "x"})
    assert answer.status_code == 403 and "Location" not in answer.headers


def test_the_form_refuses_a_cookie_of_another_browser(client: FlaskClient) -> None:
    page = client.get("/oauth/authorize", query_string=request_params())
    for value in ("someone-else", "ünïcode"):
        client.set_cookie("todomesh_signin", value, path="/oauth/authorize")
        answer = client.post("/oauth/authorize", data={"form_token": form_token(page), "name": "x"})
        assert answer.status_code == 403 and "Location" not in answer.headers


def test_the_form_refuses_a_post_from_another_site(client: FlaskClient) -> None:
    page = client.get("/oauth/authorize", query_string=request_params())
    form = {"form_token": form_token(page), "name": "alice"}
    answer = client.post("/oauth/authorize", data=form, headers={"Origin": "https://evil.example"})
    assert answer.status_code == 403 and "Location" not in answer.headers
    same_site = client.post("/oauth/authorize", data=form, headers={"Origin": "http://localhost"})
    assert same_site.status_code == 303


def test_the_form_token_cannot_be_altered_or_outlived(client: FlaskClient, clock: Clock) -> None:
    page = client.get("/oauth/authorize", query_string=request_params())
    token = form_token(page)
    altered = client.post("/oauth/authorize", data={"form_token": token + "x", "name": "a"})
    assert altered.status_code == 400
    clock.now += 601
    late = client.post("/oauth/authorize", data={"form_token": token, "name": "a"})
    assert late.status_code == 400 and "Location" not in late.headers
