"""Signing in: the code flow with PKCE through the provider's own sign-in page, the access
token in memory only, the refresh token in this tab's sessionStorage, no token in a URL."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Response, WebSocket, expect

from tests.support.browser import (
    TIMEOUT_MS,
    OpenTab,
    Tabs,
    assert_accessible,
    live,
    sign_in,
)
from tests.support.platform import PlatformProcess

pytestmark = pytest.mark.browser
STORAGE = "() => ({local: {...localStorage}, session: {...sessionStorage}})"


def test_signing_in_keeps_the_access_token_in_memory_and_out_of_urls(
    open_tab: Tabs, site: PlatformProcess, user: str
) -> None:
    page = open_tab.new_context().new_page()
    tokens: list[dict] = []
    sockets: list[WebSocket] = []
    page.on("response", lambda r: _token_answer(r, tokens))
    page.on("websocket", lambda ws: sockets.append(ws))
    shell = page.goto(f"{site.url}/")
    assert shell is not None
    policy = shell.headers["content-security-policy"]
    assert "script-src 'self';" in policy and "unsafe" not in policy

    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/oauth/authorize?**")
    asked = parse_qs(urlsplit(page.url).query)
    assert asked["code_challenge_method"] == ["S256"] and asked["client_id"] == ["todomesh-web"]
    assert asked["redirect_uri"] == [f"{site.url}/"] and asked["response_type"] == ["code"]
    page.get_by_label("Your name").fill(user)
    page.get_by_role("button", name="Sign in").click()
    live(page)

    assert page.url == f"{site.url}/", "the code and state must leave the address bar"
    expect(page.locator("#who")).to_have_text(f"Signed in as {user}")
    access, refresh = tokens[0]["access_token"], tokens[0]["refresh_token"]
    storage = page.evaluate(STORAGE)
    assert storage["local"] == {}
    assert storage["session"] == {"todomesh.refresh": refresh}
    assert access not in str(storage)
    assert [ws.url for ws in sockets] == [f"ws://127.0.0.1:{site.port}/ws/{user}"]

    # the refresh token in this tab resumes the session, rotated (waiting on the answer
    # itself: the response listener may not have run yet when the page is live)
    with page.expect_response(lambda r: r.url.endswith("/oauth/token") and r.ok) as answer:
        page.reload()
    live(page)
    rotated = answer.value.json()
    assert rotated["refresh_token"] != refresh
    assert page.evaluate(STORAGE)["session"] == {"todomesh.refresh": rotated["refresh_token"]}

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    assert page.evaluate(STORAGE) == {"local": {}, "session": {}}
    page.reload()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible(timeout=TIMEOUT_MS)


def _token_answer(response: Response, tokens: list[dict]) -> None:
    if response.url.endswith("/oauth/token") and response.ok:
        tokens.append(response.json())


def test_every_api_call_carries_the_token_and_no_url_does(
    open_tab: Tabs, site: PlatformProcess, user: str
) -> None:
    page = open_tab.new_context().new_page()
    calls: list[tuple[str, str | None]] = []
    page.on("request", lambda r: calls.append((r.url, r.headers.get("authorization"))))
    sign_in(page, site.url, user)
    expect(page.locator("#list")).to_have_attribute("aria-busy", "false")
    api_calls = [(url, auth) for url, auth in calls if "/api/" in url]
    assert any("/api/tasks?" in url for url, _ in api_calls), calls
    assert all(auth and auth.startswith("Bearer ey") for _, auth in api_calls), api_calls
    assert not any("token" in url.lower() for url, _ in calls if "/oauth/token" not in url)


def test_a_refused_sign_in_is_explained(open_tab: Tabs, site: PlatformProcess) -> None:
    page = open_tab.new_context().new_page()
    page.goto(f"{site.url}/?error=access_denied&error_description=Nobody+may+enter&state=x")
    expect(page.get_by_role("alert")).to_have_text("Nobody may enter")
    assert page.url == f"{site.url}/"
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()


def test_the_welcome_and_the_signed_in_page_pass_the_audit(audit_tab: OpenTab, user: str) -> None:
    assert_accessible(audit_tab(None), "the welcome page")
    assert_accessible(audit_tab(user), "the signed-in page")
