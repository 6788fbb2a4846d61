"""Webhooks reach only public addresses unless the operator allows private ones.

A webhook URL is chosen by a user, and notify runs inside the cluster: without a
guard, `http://10.0.0.5/admin` or the cloud metadata address would make notify a
proxy into the internal network (SSRF). The check runs when connecting: the name
is resolved then and only its public addresses are dialled, so a name that
resolved to a public address when validated and to a private one when used (DNS
rebinding) is caught too. `TODOMESH_WEBHOOK_ALLOW_PRIVATE=true` lifts the guard
(a laptop or a test).
"""

from __future__ import annotations

import ipaddress
import os
import socket
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

LOCAL_NAMES = ("localhost", "localhost.localdomain")


class BlockedAddress(Exception):
    """The webhook's host is a private, loopback, link-local or otherwise non-public address."""


# IPv6 ranges that carry or stand for an IPv4 address, or that `is_global` misses
# on older Pythons: NAT64 is checked by its embedded IPv4 address, the rest refused.
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"),)
_REFUSED_V6 = tuple(
    ipaddress.ip_network(net)
    for net in ("::/96", "64:ff9b:1::/48", "2001::/32", "2002::/16", "fec0::/10")
)


def is_public(address: str) -> bool:
    """Whether `address` (an IP literal) is globally routable unicast, looking through
    IPv4-mapped and NAT64 forms to the IPv4 address they carry."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        elif any(ip in net for net in _NAT64):
            ip = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        elif any(ip in net for net in _REFUSED_V6):
            return False
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
    """Resolve the host, keep only its public addresses, and connect to one of those
    (TLS still verifies the name): no connection is ever opened to a private peer,
    so the outcome cannot tell an internal port's state."""

    _dns_host: str
    port: int

    def _new_conn(self) -> socket.socket:
        host = self._dns_host
        try:
            found = socket.getaddrinfo(host, self.port, type=socket.SOCK_STREAM)
        except socket.gaierror:
            return super()._new_conn()  # type: ignore[misc]  # urllib3 reports it
        public = [str(info[4][0]) for info in found if is_public(str(info[4][0]))]
        if not public:
            raise BlockedAddress(f"{host} has no public address")
        failure: Exception | None = None
        for address in dict.fromkeys(public):
            self._dns_host = address
            try:
                sock: socket.socket = super()._new_conn()  # type: ignore[misc]
            except (NewConnectionError, ConnectTimeoutError) as exc:
                failure = exc
                continue
            finally:
                self._dns_host = host
            if not is_public(sock.getpeername()[0]):  # never expected: belt and braces
                sock.close()
                raise BlockedAddress(f"{host} connected to a non-public address")
            return sock
        assert failure is not None
        raise failure


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

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        raise BlockedAddress("webhooks do not go through proxies")


def webhook_session(*, allow_private: bool) -> requests.Session:
    """A session for users' webhooks: public peers only unless `allow_private`, and no
    proxy from the environment (a proxy would connect on notify's behalf, unchecked)."""
    session = requests.Session()
    if not allow_private:
        session.trust_env = False
        # trust_env also carried the CA bundle: keep a custom one working.
        session.verify = (
            os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
        )
        for scheme in ("http://", "https://"):
            session.mount(scheme, PublicOnlyAdapter())
    return session
