"""The built-in provider's key on disk, offline tokens, and `todomesh token`."""

from __future__ import annotations

import argparse
import stat
import time
from pathlib import Path

import pytest

from functions.cli import main
from functions.identity import IdentityProvider, ProviderConfig, demo_token_line, mint_token
from functions.identity.cli import parse_ttl
from functions.identity.keystore import load_or_create, thumbprint
from functions.identity.tokens import DEFAULT_ISSUER
from functions.shared.identity import TokenError, verifier_from_settings
from functions.shared.identity.local import identity_dir, read_issuer_record
from functions.shared.settings import Settings
from tests.support.tracker import Tracker

RFC_7638_KEY = {
    "kty": "RSA",
    "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc"
    "_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_F"
    "DW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4"
    "vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
    "e": "AQAB",
    "alg": "RS256",
    "kid": "2011-04-29",
}


def test_the_kid_is_the_rfc_7638_thumbprint() -> None:
    assert thumbprint(RFC_7638_KEY) == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"


def test_the_key_is_made_once_private_and_reused(tmp_path: Path) -> None:
    first = load_or_create(tmp_path)
    folder = identity_dir(tmp_path)
    assert stat.S_IMODE((folder / "signing-key.pem").stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert load_or_create(tmp_path).kid == first.kid
    assert first.kid == thumbprint(first.public_jwk)


def test_processes_starting_together_agree_on_one_key(tmp_path: Path, track: Tracker) -> None:
    kids: list[str] = []
    for _ in range(8):
        track.thread(lambda: kids.append(load_or_create(tmp_path).kid))
    track.join()
    assert len(kids) == 8 and len(set(kids)) == 1
    assert sorted(p.name for p in identity_dir(tmp_path).iterdir()) == [
        "jwks.json",
        "signing-key.pem",
    ]


def open_provider(data_dir: Path, port: int) -> IdentityProvider:
    return IdentityProvider.open(ProviderConfig(data_dir, f"http://127.0.0.1:{port}"))


def test_a_minted_token_is_accepted_by_the_provider_s_verifier(tmp_path: Path) -> None:
    open_provider(tmp_path, 8000)
    caller = verifier_from_settings(Settings(data_dir=tmp_path)).verify(
        mint_token(tmp_path, "alice", admin=True, ttl=120)
    )
    assert (caller.user_id, caller.is_admin, caller.claims["iss"]) == (
        "alice",
        True,
        "http://127.0.0.1:8000",
    )
    assert caller.expires_at.timestamp() == pytest.approx(time.time() + 120, abs=5)


def test_a_minted_token_follows_the_issuer_of_the_last_start(tmp_path: Path) -> None:
    open_provider(tmp_path, 8000)
    open_provider(tmp_path, 9123)  # restarted on another port
    assert read_issuer_record(tmp_path).issuer == "http://127.0.0.1:9123"
    token = mint_token(tmp_path, "bob")
    assert verifier_from_settings(Settings(data_dir=tmp_path)).verify(token).user_id == "bob"
    stale = verifier_from_settings(Settings(data_dir=tmp_path), issuer="http://127.0.0.1:8000")
    with pytest.raises(TokenError) as caught:
        stale.verify(token)
    assert caught.value.reason == "wrong_issuer"


def test_a_token_minted_before_the_first_start(tmp_path: Path) -> None:
    token = mint_token(tmp_path, "carol")
    verifier = verifier_from_settings(Settings(data_dir=tmp_path), issuer=DEFAULT_ISSUER)
    assert verifier.verify(token).user_id == "carol"
    open_provider(tmp_path, 8000)
    assert verifier_from_settings(Settings(data_dir=tmp_path)).verify(token).user_id == "carol"


def test_a_token_of_another_data_directory_is_refused(tmp_path: Path) -> None:
    open_provider(tmp_path / "a", 8000)
    open_provider(tmp_path / "b", 8000)
    with pytest.raises(TokenError) as caught:
        verifier_from_settings(Settings(data_dir=tmp_path / "a")).verify(
            mint_token(tmp_path / "b", "alice")
        )
    assert caught.value.reason == "unknown_key"


def test_the_verifier_needs_an_issuer(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="TODOMESH_TOKEN_ISSUER"):
        verifier_from_settings(Settings(data_dir=tmp_path))


@pytest.mark.parametrize("user", ["", "a b", "x" * 65, "bob/../root", "eve\n"])
def test_mint_refuses_a_user_name_the_page_would_refuse(tmp_path: Path, user: str) -> None:
    with pytest.raises(ValueError):
        mint_token(tmp_path, user)


@pytest.mark.parametrize(
    ("text", "seconds"), [("90", 90), ("90s", 90), ("15m", 900), ("1h", 3600), ("2D", 172800)]
)
def test_durations(text: str, seconds: int) -> None:
    assert parse_ttl(text) == seconds


@pytest.mark.parametrize("text", ["", "0", "1w", "-5m", "1.5h", "h"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError):
        parse_ttl(text)


def test_the_token_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    open_provider(tmp_path, 8000)
    argv = ["token", "ops", "--admin", "--ttl", "2h", "--data-dir", str(tmp_path)]
    assert main(argv) == 0
    token = capsys.readouterr().out.strip()
    caller = verifier_from_settings(Settings(data_dir=tmp_path)).verify(token)
    assert (caller.user_id, caller.is_admin) == ("ops", True)
    assert caller.expires_at.timestamp() == pytest.approx(time.time() + 7200, abs=5)


def test_the_token_command_uses_the_data_dir_setting(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TODOMESH_DATA_DIR", str(tmp_path))
    open_provider(tmp_path, 8000)
    assert main(["token", "dana"]) == 0
    token = capsys.readouterr().out.strip()
    assert verifier_from_settings(Settings(data_dir=tmp_path)).verify(token).user_id == "dana"


def test_the_token_command_refuses_a_bad_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["token", "a b", "--data-dir", str(tmp_path)]) == 2
    assert "user name" in capsys.readouterr().err


def test_the_demo_token_line(tmp_path: Path) -> None:
    open_provider(tmp_path, 8000)
    line = demo_token_line(tmp_path)
    token = line.split()[1]
    caller = verifier_from_settings(Settings(data_dir=tmp_path)).verify(token)
    assert caller.user_id == "alice" and "todomesh token" in line
