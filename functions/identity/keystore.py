"""The built-in provider's signing key and secret, kept in `<data_dir>/identity/`.

The key is ES256 (ECDSA on P-256): made in a millisecond on first start (an
RSA key takes far longer), short signatures, so a token stays small enough for a
header or a WebSocket subprotocol, and every JOSE library verifies it. Its kid is
its RFC 7638 thumbprint. Files are created mode 0600 and never replaced: two
processes starting at once agree on the first one written.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

from functions.shared.identity.local import identity_dir, write_public_keys

ALGORITHM = "ES256"
KEY_FILE = "signing-key.pem"
SECRET_FILE = "secret.key"
# RFC 7638, section 3.2: the members a thumbprint covers, per key type.
THUMBPRINT_MEMBERS = {
    "EC": ("crv", "kty", "x", "y"),
    "RSA": ("e", "kty", "n"),
    "OKP": ("crv", "kty", "x"),
}


@dataclass(frozen=True)
class SigningKey:
    private_key: ec.EllipticCurvePrivateKey
    kid: str
    public_jwk: dict[str, Any]


def load_or_create(data_dir: Path) -> SigningKey:
    """The data directory's signing key (made on first use); also writes its public set."""
    pem = read_or_create(identity_dir(data_dir) / KEY_FILE, _new_key_pem)
    private_key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(private_key, ec.EllipticCurvePrivateKey) or not isinstance(
        private_key.curve, ec.SECP256R1
    ):
        raise ValueError(f"{identity_dir(data_dir) / KEY_FILE} is not a P-256 key")
    jwk: dict[str, Any] = ECAlgorithm.to_jwk(private_key.public_key(), as_dict=True)
    kid = thumbprint(jwk)
    public = {**jwk, "kid": kid, "use": "sig", "alg": ALGORITHM}
    write_public_keys(data_dir, [public])
    return SigningKey(private_key, kid, public)


def load_secret(data_dir: Path) -> bytes:
    """The data directory's secret for signing codes, refresh and form tokens (HMAC)."""
    return read_or_create(identity_dir(data_dir) / SECRET_FILE, lambda: secrets.token_bytes(32))


def thumbprint(jwk: Mapping[str, Any]) -> str:
    """The RFC 7638 SHA-256 thumbprint of a public JWK, base64url without padding."""
    members = THUMBPRINT_MEMBERS[jwk["kty"]]
    canonical = json.dumps({m: jwk[m] for m in members}, separators=(",", ":"), sort_keys=True)
    digest = hashlib.sha256(canonical.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def read_or_create(path: Path, make: Callable[[], bytes]) -> bytes:
    """The bytes of `path`, first written (mode 0600) from `make()` if it does not exist."""
    if not path.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # mode 0600
        try:
            with os.fdopen(fd, "wb") as file:
                file.write(make())
            os.link(temp, path)  # fails if another process got there first: keep theirs
        except FileExistsError:
            pass
        finally:
            os.unlink(temp)
    return path.read_bytes()


def _new_key_pem() -> bytes:
    return ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
