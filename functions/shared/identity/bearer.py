"""Where a request carries its bearer token: the Authorization header (RFC 6750), or
for a WebSocket the subprotocol pair `bearer, <token>`, since browsers cannot set
headers on a WebSocket and a token never goes in a URL."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Protocol

from functions.shared.identity.errors import TokenError

# RFC 6750's b64token: what may follow "Bearer " (a JWT is a subset of it).
_B64TOKEN = re.compile(r"[A-Za-z0-9\-._~+/]+=*")
WEBSOCKET_PROTOCOL = "bearer"


class Headers(Protocol):
    def getlist(self, key: str) -> list[str]: ...


def header_values(headers: Headers | Mapping[str, str], name: str) -> list[str]:
    """Every value of header `name` (werkzeug's headers, or a plain mapping)."""
    if hasattr(headers, "getlist"):
        return list(headers.getlist(name))
    return [v for k, v in headers.items() if k.lower() == name.lower()]


def bearer_token(headers: Headers | Mapping[str, str]) -> str | None:
    """The token of `Authorization: Bearer <token>`, None without the header.

    The scheme is matched case-insensitively; exactly one space and one token
    must follow. Any other form (another scheme, two headers, stray spaces) is a
    TokenError("malformed"), never silently ignored.
    """
    values = header_values(headers, "Authorization")
    if not values:
        return None
    if len(values) > 1:
        raise TokenError("malformed", "Send one Authorization header.")
    scheme, _, token = values[0].partition(" ")
    if scheme.lower() != "bearer":
        raise TokenError("malformed", "The Authorization header must use the Bearer scheme.")
    if not _B64TOKEN.fullmatch(token):
        raise TokenError("malformed", "The Authorization header must be `Bearer <token>`.")
    return token


def websocket_token(headers: Headers | Mapping[str, str]) -> str | None:
    """The token offered as the subprotocol after `bearer` in Sec-WebSocket-Protocol.

    None when `bearer` is not offered; TokenError("malformed") when it is, but
    not followed by one token. The hub answers `bearer` as the chosen subprotocol.
    """
    offered = [
        item.strip()
        for value in header_values(headers, "Sec-WebSocket-Protocol")
        for item in value.split(",")
    ]
    lowered = [item.lower() for item in offered]
    if WEBSOCKET_PROTOCOL not in lowered:
        return None
    at = lowered.index(WEBSOCKET_PROTOCOL) + 1
    if at >= len(offered) or not _B64TOKEN.fullmatch(offered[at]):
        raise TokenError("malformed", "Offer the subprotocols `bearer, <token>`.")
    return offered[at]
