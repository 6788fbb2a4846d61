"""Keys from a real key server on 127.0.0.1: discovery, rotation, and rate-limited refreshes."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from functions.shared.identity import CachedKeySet, KeysUnavailable, TokenError, TokenVerifier
from functions.shared.identity.keysets import jwks_fetcher
from functions.shared.identity.verifier import verifier_from_settings
from functions.shared.settings import Settings
from tests.support.keyserver import REALM, KeyServer, key_server
from tests.support.tokens import AUDIENCE, KeyPair, claims

DISCOVERY = REALM + "/.well-known/openid-configuration"
CERTS = REALM + "/protocol/openid-connect/certs"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def first_key() -> KeyPair:
    return KeyPair.es256()


@pytest.fixture
def server(first_key: KeyPair) -> Iterator[KeyServer]:
    with key_server(first_key) as running:
        yield running


def clocked(server: KeyServer, clock: Clock, **timing: float) -> TokenVerifier:
    keys = CachedKeySet(jwks_fetcher(server.jwks_url), clock=clock, **timing)
    return TokenVerifier(keys, issuer=server.issuer, audience=AUDIENCE)


def token(server: KeyServer, key: KeyPair, **extra: object) -> str:
    return key.sign(claims(issuer=server.issuer, **extra))


def reason(verifier: TokenVerifier, jwt: str) -> str:
    with pytest.raises(TokenError) as caught:
        verifier.verify(jwt)
    return caught.value.reason


def test_discovery_finds_the_keys_on_first_use(
    server: KeyServer, first_key: KeyPair, tmp_path: Path
) -> None:
    verifier = verifier_from_settings(Settings(data_dir=tmp_path, oidc_issuer=server.issuer))
    assert server.fetches(DISCOVERY) == 0, "nothing may be fetched before a token is checked"
    assert verifier.verify(token(server, first_key)).user_id == "alice"
    verifier.verify(token(server, first_key, sub="bob"))
    assert (server.fetches(DISCOVERY), server.fetches(CERTS)) == (1, 1)


def test_a_discovery_document_of_another_issuer_is_not_trusted(
    server: KeyServer, first_key: KeyPair, tmp_path: Path
) -> None:
    server.issuer_override = "https://impostor.example/realms/todomesh"
    verifier = verifier_from_settings(Settings(data_dir=tmp_path, oidc_issuer=server.issuer))
    with pytest.raises(KeysUnavailable):
        verifier.verify(token(server, first_key))
    assert server.fetches(CERTS) == 0


def test_a_jwks_url_with_its_issuer(server: KeyServer, first_key: KeyPair, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, jwks_url=server.jwks_url, token_issuer=server.issuer)
    verifier = verifier_from_settings(settings)
    assert verifier.verify(token(server, first_key)).user_id == "alice"
    assert reason(verifier, first_key.sign(claims(issuer="https://other.example"))) == (
        "wrong_issuer"
    )
    assert server.fetches(DISCOVERY) == 0


def test_a_jwks_url_needs_an_issuer(server: KeyServer, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="TODOMESH_TOKEN_ISSUER"):
        verifier_from_settings(Settings(data_dir=tmp_path, jwks_url=server.jwks_url))


def test_an_unknown_kid_fetches_the_rotated_set(server: KeyServer, first_key: KeyPair) -> None:
    clock = Clock()
    verifier = clocked(server, clock, min_interval=30)
    assert verifier.verify(token(server, first_key)).user_id == "alice"
    second = KeyPair.rs256()
    server.rotate(second)
    clock.now += 31
    assert verifier.verify(token(server, second, sub="bob")).user_id == "bob"
    assert server.fetches(CERTS) == 2
    assert reason(verifier, token(server, first_key)) == "unknown_key", "the old key is retired"


def test_a_rotation_right_after_a_fetch_waits_for_the_interval(
    server: KeyServer, first_key: KeyPair
) -> None:
    clock = Clock()
    verifier = clocked(server, clock, min_interval=30)
    verifier.verify(token(server, first_key))
    second = KeyPair.es256()
    server.rotate(second)
    clock.now += 10
    assert reason(verifier, token(server, second)) == "unknown_key"
    clock.now += 20
    assert verifier.verify(token(server, second)).user_id == "alice"
    assert server.fetches(CERTS) == 2


def test_a_storm_of_made_up_kids_fetches_once_per_interval(
    server: KeyServer, first_key: KeyPair
) -> None:
    clock = Clock()
    verifier = clocked(server, clock, min_interval=30)
    verifier.verify(token(server, first_key))
    for _ in range(50):
        stranger = KeyPair(first_key.private_key, "ES256", uuid.uuid4().hex)
        assert reason(verifier, token(server, stranger)) == "unknown_key"
    assert server.fetches(CERTS) == 1
    clock.now += 30
    for _ in range(50):
        stranger = KeyPair(first_key.private_key, "ES256", uuid.uuid4().hex)
        assert reason(verifier, token(server, stranger)) == "unknown_key"
    assert server.fetches(CERTS) == 2


def test_the_cached_set_serves_while_the_provider_is_down(
    server: KeyServer, first_key: KeyPair
) -> None:
    clock = Clock()
    verifier = clocked(server, clock, max_age=300, min_interval=30)
    verifier.verify(token(server, first_key))
    server.failing = True
    clock.now += 301
    for _ in range(20):
        assert verifier.verify(token(server, first_key)).user_id == "alice"
    assert server.fetches(CERTS) == 2, "one failed refresh, then no more within the interval"


def test_keys_never_fetched_are_unavailable_not_a_bad_token(
    server: KeyServer, first_key: KeyPair
) -> None:
    clock = Clock()
    server.failing = True
    verifier = clocked(server, clock, min_interval=30)
    for _ in range(5):
        with pytest.raises(KeysUnavailable):
            verifier.verify(token(server, first_key))
    assert server.fetches(CERTS) == 1
    server.failing = False
    clock.now += 30
    assert verifier.verify(token(server, first_key)).user_id == "alice"


def test_settings_choose_the_timing(server: KeyServer, first_key: KeyPair, tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path,
        oidc_issuer=server.issuer,
        jwks_refresh_seconds=0,
    )
    verifier = verifier_from_settings(settings)
    verifier.verify(token(server, first_key))
    second = KeyPair.es256()
    server.rotate(second)
    assert verifier.verify(token(server, second)).user_id == "alice"
    assert server.fetches(CERTS) == 2
