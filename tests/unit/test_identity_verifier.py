"""Token verification: one test per rule a bearer JWT must pass."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from jwt import PyJWK, PyJWKSet

from functions.shared.identity import AdminRule, CachedKeySet, TokenError, TokenVerifier
from functions.shared.identity import verifier as verifier_module
from tests.support.tokens import (
    AUDIENCE,
    ISSUER,
    KeyPair,
    claims,
    hs256_with,
    key_set,
    unsigned,
)
from tests.support.waiting import wait_for


@pytest.fixture(scope="module")
def es_key() -> KeyPair:
    return KeyPair.es256()


@pytest.fixture(scope="module")
def rs_key() -> KeyPair:
    return KeyPair.rs256()


def verifier_for(*pairs: KeyPair, admin: AdminRule | None = None) -> TokenVerifier:
    keys = CachedKeySet(lambda: PyJWKSet.from_dict(key_set(*pairs)))
    return TokenVerifier(keys, issuer=ISSUER, audience=AUDIENCE, leeway=30, admin=admin)


@pytest.fixture
def verifier(es_key: KeyPair, rs_key: KeyPair) -> TokenVerifier:
    return verifier_for(es_key, rs_key)


def refused(verifier: TokenVerifier, token: str | None) -> str:
    with pytest.raises(TokenError) as caught:
        verifier.verify(token)
    assert caught.value.detail
    return caught.value.reason


@pytest.mark.parametrize("key_name", ["es_key", "rs_key"])
def test_a_good_token_names_its_caller(
    verifier: TokenVerifier, key_name: str, request: pytest.FixtureRequest
) -> None:
    key: KeyPair = request.getfixturevalue(key_name)
    exp = int(time.time()) + 600
    caller = verifier.verify(key.sign(claims(exp=exp, sub="bob")))
    assert caller.user_id == "bob"
    assert caller.is_admin is False
    assert caller.expires_at == datetime.fromtimestamp(exp, UTC)
    assert caller.claims["iss"] == ISSUER


def test_no_token(verifier: TokenVerifier) -> None:
    assert refused(verifier, None) == "missing"
    assert refused(verifier, "") == "missing"


def test_expired(verifier: TokenVerifier, es_key: KeyPair) -> None:
    past = int(time.time()) - 120
    assert refused(verifier, es_key.sign(claims(exp=past, iat=past - 60, nbf=None))) == "expired"


def test_expired_within_the_leeway_still_passes(verifier: TokenVerifier, es_key: KeyPair) -> None:
    just_now = int(time.time()) - 5
    assert verifier.verify(es_key.sign(claims(exp=just_now))).user_id == "alice"


def test_not_yet_valid(verifier: TokenVerifier, es_key: KeyPair) -> None:
    later = int(time.time()) + 300
    token = es_key.sign(claims(nbf=later, iat=None, exp=later + 600))
    assert refused(verifier, token) == "not_yet_valid"


def test_bad_signature(verifier: TokenVerifier, es_key: KeyPair) -> None:
    impostor = KeyPair(KeyPair.es256().private_key, "ES256", es_key.kid)  # same kid, other key
    assert refused(verifier, impostor.sign(claims())) == "bad_signature"


def test_a_tampered_payload_breaks_the_signature(verifier: TokenVerifier, es_key: KeyPair) -> None:
    header, _, signature = es_key.sign(claims()).split(".")
    other_payload = es_key.sign(claims(sub="mallory")).split(".")[1]
    assert refused(verifier, f"{header}.{other_payload}.{signature}") == "bad_signature"


def test_wrong_issuer(verifier: TokenVerifier, es_key: KeyPair) -> None:
    token = es_key.sign(claims(issuer="https://elsewhere.example/"))
    assert refused(verifier, token) == "wrong_issuer"


def test_wrong_audience(verifier: TokenVerifier, es_key: KeyPair) -> None:
    assert refused(verifier, es_key.sign(claims(audience="another-api"))) == "wrong_audience"


def test_an_audience_list_containing_ours_passes(verifier: TokenVerifier, es_key: KeyPair) -> None:
    token = es_key.sign(claims(audience=["account", AUDIENCE]))
    assert verifier.verify(token).user_id == "alice"


def test_alg_none(verifier: TokenVerifier, es_key: KeyPair) -> None:
    assert refused(verifier, unsigned(claims(), es_key.kid)) == "unsupported_algorithm"


@pytest.mark.parametrize("key_name", ["es_key", "rs_key"])
def test_hs256_signed_with_the_public_key(
    verifier: TokenVerifier, key_name: str, request: pytest.FixtureRequest
) -> None:
    key: KeyPair = request.getfixturevalue(key_name)
    forged = hs256_with(key.public_pem(), claims(sub="root", roles=["admin"]), key.kid)
    assert refused(verifier, forged) == "unsupported_algorithm"


def test_an_algorithm_other_than_the_key_s(verifier: TokenVerifier, es_key: KeyPair) -> None:
    rsa_signed_under_ec_kid = KeyPair(KeyPair.rs256().private_key, "RS256", es_key.kid)
    assert refused(verifier, rsa_signed_under_ec_kid.sign(claims())) == "unsupported_algorithm"


def test_an_unknown_kid(verifier: TokenVerifier) -> None:
    assert refused(verifier, KeyPair.es256().sign(claims())) == "unknown_key"


@pytest.mark.parametrize("token", ["abc", "a.b.c", "eyJhbGciOiJFUzI1NiJ9.e30", "x" * 9000])
def test_not_a_jwt(verifier: TokenVerifier, token: str) -> None:
    assert refused(verifier, token) == "malformed"


def test_a_token_without_kid(verifier: TokenVerifier, es_key: KeyPair) -> None:
    token = es_key.sign(claims(), kid=None)
    assert refused(verifier, token) == "malformed"


@pytest.mark.parametrize(
    "sub", [None, "", "x" * 129, "bob\nadmin", "bob\x00", "\u202eevil", 42, ["alice"]]
)
def test_a_subject_that_cannot_be_a_user_id(
    verifier: TokenVerifier, es_key: KeyPair, sub: object
) -> None:
    payload = claims()
    if sub is None:
        del payload["sub"]
    else:
        payload["sub"] = sub
    assert refused(verifier, es_key.sign(payload)) == "malformed"


def test_a_subject_of_128_characters_passes(verifier: TokenVerifier, es_key: KeyPair) -> None:
    assert verifier.verify(es_key.sign(claims(sub="é" * 128))).user_id == "é" * 128


@pytest.mark.parametrize("missing", ["exp", "iss", "aud"])
def test_a_required_claim_is_missing(
    verifier: TokenVerifier, es_key: KeyPair, missing: str
) -> None:
    payload = claims()
    del payload[missing]
    assert refused(verifier, es_key.sign(payload)) == "malformed"


@pytest.mark.parametrize(
    ("rule", "extra", "is_admin"),
    [
        (AdminRule(), {"roles": ["admin"]}, True),
        (AdminRule(), {"roles": ["user"]}, False),
        (AdminRule(), {"roles": "admin"}, True),
        (AdminRule(), {}, False),
        (AdminRule("realm_access.roles"), {"realm_access": {"roles": ["x", "admin"]}}, True),
        (AdminRule("realm_access.roles"), {"realm_access": {"roles": ["x"]}}, False),
        (AdminRule("realm_access.roles"), {"realm_access": "admin"}, False),
        (AdminRule("scope", "todomesh:admin"), {"scope": "openid todomesh:admin"}, True),
        (AdminRule("scope", "todomesh:admin"), {"scope": "openid todomesh:administer"}, False),
        (
            AdminRule("https://todomesh.example/roles"),
            {"https://todomesh.example/roles": ["admin"]},
            True,
        ),
        (AdminRule("groups", "ops"), {"groups": ["dev", "ops"]}, True),
    ],
)
def test_the_admin_claim(es_key: KeyPair, rule: AdminRule, extra: dict, is_admin: bool) -> None:
    caller = verifier_for(es_key, admin=rule).verify(es_key.sign(claims(**extra)))
    assert caller.is_admin is is_admin


class SwappableKeys:
    """A key source whose keys a test replaces (a rotation)."""

    def __init__(self, *pairs: KeyPair) -> None:
        self.set(*pairs)

    def set(self, *pairs: KeyPair) -> None:
        self.keys = {key.key_id: key for key in PyJWKSet.from_dict(key_set(*pairs)).keys}

    def signing_key(self, kid: str) -> PyJWK:
        if kid not in self.keys:
            raise TokenError("unknown_key", "no such key")
        return self.keys[kid]


@pytest.fixture
def decodes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The tokens whose signature the verifier checked."""
    checked: list[str] = []
    decode = verifier_module.jwt.decode

    def counting(token: str, *args: object, **kwargs: object) -> object:
        checked.append(token)
        return decode(token, *args, **kwargs)

    monkeypatch.setattr(verifier_module.jwt, "decode", counting)
    return checked


def test_a_token_is_verified_once_while_it_is_valid(
    verifier: TokenVerifier, es_key: KeyPair, decodes: list[str]
) -> None:
    token, other = es_key.sign(claims()), es_key.sign(claims(sub="bob"))
    assert [verifier.verify(t).user_id for t in (token, token, other, token)] == [
        "alice",
        "alice",
        "bob",
        "alice",
    ]
    assert decodes == [token, other]


def test_a_remembered_token_is_refused_once_it_expires(es_key: KeyPair) -> None:
    keys = SwappableKeys(es_key)
    verifier = TokenVerifier(keys, issuer=ISSUER, audience=AUDIENCE, leeway=0)
    token = es_key.sign(claims(exp=int(time.time()) + 4))  # valid for 3-4 s
    assert verifier.verify(token).user_id == "alice"
    wait_for(lambda: refused_or_none(verifier, token), "the token expired", until=bool)
    assert refused(verifier, token) == "expired"


def test_a_remembered_token_is_checked_again_when_its_key_changes(
    es_key: KeyPair, rs_key: KeyPair, decodes: list[str]
) -> None:
    keys = SwappableKeys(es_key)
    verifier = TokenVerifier(keys, issuer=ISSUER, audience=AUDIENCE)
    token = es_key.sign(claims())
    verifier.verify(token)
    keys.set(es_key)  # the key set was fetched again: same kid, a new key object
    verifier.verify(token)
    assert decodes == [token, token]
    keys.set(rs_key)  # rotated out
    assert refused(verifier, token) == "unknown_key"


def test_the_remembered_tokens_are_bounded(
    es_key: KeyPair, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(verifier_module, "VERIFIED_CACHE_SIZE", 3)
    verifier = verifier_for(es_key)
    for n in range(10):
        verifier.verify(es_key.sign(claims(sub=f"user-{n}")))
    assert len(verifier._verified._entries) == 3


def refused_or_none(verifier: TokenVerifier, token: str) -> str | None:
    try:
        verifier.verify(token)
    except TokenError as error:
        return error.reason
    return None
