"""Webhooks reach only public addresses unless the operator allows private ones.

A webhook URL is chosen by a user, and notify runs inside the cluster: without a
guard, `http://10.0.0.5/admin` or the cloud metadata address would make notify a
proxy into the internal network (SSRF). The check runs on the address the socket
actually connected to, after DNS resolution, so a name that resolves to a public
address when validated and to a private one when used (DNS rebinding) is caught
too. `TODOMESH_WEBHOOK_ALLOW_PRIVATE=true` lifts the guard (a laptop or a test).
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

LOCAL_NAMES = ("localhost", "localhost.localdomain")


class BlockedAddress(Exception):
    """The webhook's host is a private, loopback, link-local or otherwise non-public address."""


def is_public(address: str) -> bool:
    """Whether `address` (an IP literal) is globally routable unicast."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def is_local_host(hostname: str) -> bool:
    """Whether a URL's host is plainly not public: a local name or a non-public IP literal.
    (A name that resolves to a private address is caught when notify connects.)"""
    host = hostname.lower().rstrip(".")
    if host in LOCAL_NAMES or host.endswith(".localhost"):
        return True
    try:
        return not is_public(host)
    except ValueError:  # a name, not an address
        return False


class _PublicPeerOnly:
    def _new_conn(self) -> socket.socket:
        sock: socket.socket = super()._new_conn()  # type: ignore[misc]
        peer = sock.getpeername()[0]
        if not is_public(peer):
            sock.close()
            raise BlockedAddress(f"{peer} is not a public address")
        return sock


class _HTTPConnection(_PublicPeerOnly, HTTPConnection):
    pass


class _HTTPSConnection(_PublicPeerOnly, HTTPSConnection):
    pass


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


class PublicOnlyAdapter(HTTPAdapter):
    """A requests adapter whose connections refuse to talk to non-public peers."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}


def webhook_session(*, allow_private: bool) -> requests.Session:
    """A session for users' webhooks: public peers only unless `allow_private`, and no
    proxy from the environment (a proxy would connect on notify's behalf, unchecked)."""
    session = requests.Session()
    if not allow_private:
        session.trust_env = False
        for scheme in ("http://", "https://"):
            session.mount(scheme, PublicOnlyAdapter())
    return session
