"""The webhook guard: which addresses are public, and refusal on the connected peer."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from functions.notify.egress import BlockedAddress, is_local_host, is_public, webhook_session
from tests.support.webhook import webhook_server


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.215.14", True),
        ("2606:4700::1111", True),
        ("127.0.0.1", False),
        ("10.0.0.5", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),  # cloud metadata
        ("100.64.0.1", False),  # carrier-grade NAT
        ("0.0.0.0", False),
        ("224.0.0.1", False),
        ("::1", False),
        ("fe80::1%eth0", False),
        ("fd00::1", False),
        ("::ffff:10.0.0.1", False),
        ("::ffff:93.184.215.14", True),
        ("64:ff9b::7f00:1", False),  # NAT64 of 127.0.0.1
        ("64:ff9b::5db8:d70e", True),  # NAT64 of 93.184.215.14
        ("2002:7f00:1::", False),  # 6to4
        ("::7f00:1", False),  # IPv4-compatible
        ("fec0::1", False),  # site-local
    ],
)
def test_public_addresses(address: str, public: bool) -> None:
    assert is_public(address) is public


@pytest.mark.parametrize(
    ("host", "local"),
    [
        ("localhost", True),
        ("LOCALHOST.", True),
        ("api.localhost", True),
        ("127.0.0.1", True),
        ("::1", True),
        ("hooks.example.com", False),  # a name: checked when connecting
        ("93.184.215.14", False),
    ],
)
def test_plainly_local_hosts(host: str, local: bool) -> None:
    assert is_local_host(host) is local


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A listening TCP socket on 127.0.0.1 that never answers."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        sock.settimeout(0.2)
        yield sock


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:{port}/", "https://127.0.0.1:{port}/", "http://localhost:{port}/"]
)
def test_the_guard_refuses_a_private_host_without_connecting(
    listener: socket.socket, url: str
) -> None:
    port = listener.getsockname()[1]
    with pytest.raises(BlockedAddress, match="has no public address"):
        webhook_session(allow_private=False).post(url.format(port=port), json={}, timeout=2)
    with pytest.raises(TimeoutError):
        listener.accept()  # nothing ever connected: an internal port's state stays unknown


def test_the_guard_uses_no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.internal:3128")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/custom.pem")
    session = webhook_session(allow_private=False)
    assert session.trust_env is False
    assert session.verify == "/etc/ssl/custom.pem"
    with pytest.raises(BlockedAddress, match="proxies"):
        session.post("http://93.184.215.14/", proxies={"http": "http://10.0.0.1:3128"})


def test_private_addresses_are_reachable_when_allowed() -> None:
    with webhook_server() as (url, hook):
        response = webhook_session(allow_private=True).post(url, json={"n": 1}, timeout=5)
    assert response.status_code == 204
    assert hook.bodies == [{"n": 1}]
