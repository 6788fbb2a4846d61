"""The webhook guard: which addresses are public, and refusal on the connected peer."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from functions.notify.egress import BlockedAddress, is_local_host, is_public, webhook_session
from tests.functions.servers import webhook_server


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
def listener() -> Iterator[int]:
    """A TCP port on 127.0.0.1 that accepts connections and never answers."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:{port}/", "https://127.0.0.1:{port}/", "http://localhost:{port}/"]
)
def test_the_guard_refuses_a_private_peer_before_sending(listener: int, url: str) -> None:
    with pytest.raises(BlockedAddress, match="not a public address"):
        webhook_session(allow_private=False).post(url.format(port=listener), json={}, timeout=2)


def test_the_guard_ignores_proxies_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.internal:3128")
    assert webhook_session(allow_private=False).trust_env is False


def test_private_addresses_are_reachable_when_allowed() -> None:
    with webhook_server() as (url, hook):
        response = webhook_session(allow_private=True).post(url, json={"n": 1}, timeout=5)
    assert response.status_code == 204
    assert hook.bodies == [{"n": 1}]
