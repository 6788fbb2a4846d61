"""Where the provider may send a browser back to: no open redirect.

A redirect URI is allowed when it is on the issuer's own origin, or listed in
TODOMESH_REDIRECT_URIS exactly. Loopback hosts (localhost, 127.0.0.1, [::1]) are
one origin for this check, since a page opened as localhost talks to an issuer
recorded as 127.0.0.1. A listed loopback URI without a port matches any port, as
native apps such as MCP clients listen on one the system picks (RFC 8252, 7.3).
"""

from __future__ import annotations

from collections.abc import Collection
from urllib.parse import SplitResult, urlsplit

LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1"})
DEFAULT_PORTS = {"http": 80, "https": 443}


def parse_allow_list(value: str) -> tuple[str, ...]:
    """TODOMESH_REDIRECT_URIS: absolute http(s) URIs separated by spaces or commas."""
    uris = tuple(item for item in value.replace(",", " ").split() if item)
    for uri in uris:
        if _parts(uri) is None:
            raise ValueError(f"TODOMESH_REDIRECT_URIS: {uri!r} is not an absolute http(s) URI")
    return uris


def redirect_allowed(uri: str, issuer: str, allowed: Collection[str] = ()) -> bool:
    target = _parts(uri)
    if target is None:
        return False
    if uri in allowed or same_origin(target, urlsplit(issuer)):
        return True
    return any(_loopback_match(target, entry) for entry in allowed)


def origin(uri: str) -> str:
    parts = urlsplit(uri)
    return f"{parts.scheme}://{parts.netloc}"


def same_origin(a: SplitResult, b: SplitResult) -> bool:
    if a.scheme != b.scheme or _port(a) != _port(b):
        return False
    return a.hostname == b.hostname or {a.hostname, b.hostname} <= LOOPBACK


def _loopback_match(target: SplitResult, entry: str) -> bool:
    listed = urlsplit(entry)
    return (
        listed.hostname in LOOPBACK
        and listed.port is None
        and target.hostname == listed.hostname
        and (target.scheme, target.path, target.query) == (listed.scheme, listed.path, listed.query)
    )


def _parts(uri: str) -> SplitResult | None:
    """`uri` split, if it may be a redirect URI: absolute http(s), no fragment, no userinfo."""
    try:
        parts = urlsplit(uri)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        return None
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname or parts.fragment:
        return None
    if "@" in parts.netloc or any(c.isspace() for c in uri):
        return None
    return parts


def _port(parts: SplitResult) -> int | None:
    return parts.port or DEFAULT_PORTS.get(parts.scheme)
