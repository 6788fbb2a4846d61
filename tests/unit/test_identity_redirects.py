"""Which redirect URIs the built-in provider follows: its own origin, or a listed one."""

from __future__ import annotations

import pytest

from functions.identity.redirects import parse_allow_list, redirect_allowed

ISSUER = "http://127.0.0.1:8000"
LISTED = ("https://app.example.com/callback", "http://127.0.0.1/mcp/callback")


@pytest.mark.parametrize(
    ("uri", "allowed"),
    [
        ("http://127.0.0.1:8000/", True),
        ("http://127.0.0.1:8000/callback?x=1", True),
        ("http://localhost:8000/callback", True),  # loopback hosts are one origin
        ("http://[::1]:8000/callback", True),
        ("https://127.0.0.1:8000/callback", False),
        ("http://127.0.0.1:8001/callback", False),
        ("http://127.0.0.2:8000/callback", False),
        ("https://app.example.com/callback", True),
        ("https://app.example.com/callback/", False),
        ("https://app.example.com/other", False),
        ("http://app.example.com/callback", False),
        ("http://127.0.0.1:49152/mcp/callback", True),  # RFC 8252: any loopback port
        ("http://localhost:49152/mcp/callback", False),  # but the listed host
        ("http://127.0.0.1:49152/mcp/other", False),
        ("http://user@127.0.0.1:8000/", False),
        ("http://127.0.0.1:8000/#x", False),
        ("http://127.0.0.1:8000/ x", False),
        ("ftp://127.0.0.1:8000/", False),
        ("", False),
    ],
)
def test_redirect_uris(uri: str, allowed: bool) -> None:
    assert redirect_allowed(uri, ISSUER, LISTED) is allowed


def test_the_allow_list_setting() -> None:
    value = "https://a.example/cb, http://127.0.0.1/cb  https://b.example/x"
    assert parse_allow_list(value) == (
        "https://a.example/cb",
        "http://127.0.0.1/cb",
        "https://b.example/x",
    )
    assert parse_allow_list("") == ()
    with pytest.raises(ValueError, match="TODOMESH_REDIRECT_URIS"):
        parse_allow_list("https://a.example/cb /relative")
