"""The web page's shell and `/config.json`: where the page signs in, and the CSP that lets
it reach an identity provider on another origin (and nowhere else)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from functions.hub import STATIC
from functions.hub.page import page_routes
from functions.shared.security.headers import install_security_headers
from functions.shared.settings import Settings


def client_for(settings: Settings) -> FlaskClient:
    app = Flask(__name__, static_folder=str(STATIC), static_url_path="/static")
    install_security_headers(app)
    app.register_blueprint(page_routes(settings, STATIC))
    return app.test_client()


def test_the_built_in_provider_is_on_the_page_s_own_origin(tmp_path: Path) -> None:
    client = client_for(Settings(data_dir=tmp_path, token_issuer="http://localhost:8000"))
    config = client.get("/config.json", base_url="http://localhost:8000")
    assert config.json == {
        "issuer": "http://localhost:8000",
        "client_id": "todomesh-web",
        "scope": "openid",
    }
    shell = client.get("/", base_url="http://localhost:8000")
    assert "connect-src 'self';" in shell.headers["Content-Security-Policy"]
    shell.close()


def test_without_an_issuer_the_page_s_origin_is_the_issuer(tmp_path: Path) -> None:
    client = client_for(Settings(data_dir=tmp_path))
    assert client.get("/config.json", base_url="http://todo.test").json["issuer"] == (
        "http://todo.test"
    )


def test_a_real_provider_elsewhere_is_the_only_other_origin_the_page_may_fetch(
    tmp_path: Path,
) -> None:
    issuer = "https://id.example.com/realms/todomesh"
    settings = Settings(data_dir=tmp_path, oidc_issuer=issuer, web_client_id="todo-page")
    client = client_for(settings)
    assert client.get("/config.json").json["issuer"] == issuer
    assert client.get("/config.json").json["client_id"] == "todo-page"
    shell = client.get("/")
    policy = shell.headers["Content-Security-Policy"]
    shell.close()
    assert "connect-src 'self' https://id.example.com;" in policy
    assert "script-src 'self';" in policy and "default-src 'self';" in policy


@pytest.mark.parametrize("path", ["/", "/static/js/main.js", "/static/app.css", "/favicon.ico"])
def test_the_page_s_files_are_served(tmp_path: Path, path: str) -> None:
    response = client_for(Settings(data_dir=tmp_path)).get(path)
    assert response.status_code == 200
    response.close()


def test_the_shell_has_no_inline_script_or_style() -> None:
    html = (STATIC / "index.html").read_text()
    assert "<style" not in html and " style=" not in html
    scripts = html.split("<script")[1:]
    assert scripts and all('src="/static/' in script.split(">")[0] for script in scripts)
    assert not re.search(r"\son[a-z]+\s*=", html), "no inline event handlers"
    assert "javascript:" not in html


def test_every_module_is_preloaded_so_none_waits_for_the_one_importing_it() -> None:
    html = (STATIC / "index.html").read_text()
    preloaded = set(re.findall(r'<link rel="modulepreload" href="/static/js/([\w-]+\.js)">', html))
    modules = {path.name for path in (STATIC / "js").glob("*.js")} - {"main.js"}
    assert preloaded == modules
    assert '<script type="module" src="/static/js/main.js"></script>' in html
