"""Signing keys and JWTs for identity tests: good tokens, and the forgeries a verifier refuses."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

ISSUER = "https://id.example.test/realms/todomesh"
AUDIENCE = "todomesh"


@dataclass(frozen=True)
class KeyPair:
    private_key: Any
    algorithm: str
    kid: str

    @classmethod
    def es256(cls) -> KeyPair:
        return cls(ec.generate_private_key(ec.SECP256R1()), "ES256", uuid.uuid4().hex)

    @classmethod
    def rs256(cls) -> KeyPair:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return cls(key, "RS256", uuid.uuid4().hex)

    def public_jwk(self) -> dict[str, Any]:
        kind = ECAlgorithm if self.algorithm == "ES256" else RSAAlgorithm
        jwk = kind.to_jwk(self.private_key.public_key(), as_dict=True)
        return {**jwk, "kid": self.kid, "use": "sig", "alg": self.algorithm}

    def public_pem(self) -> bytes:
        return self.private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def sign(self, claims: dict[str, Any], **headers: Any) -> str:
        headers = {k: v for k, v in {"kid": self.kid, **headers}.items() if v is not None}
        return jwt.encode(claims, self.private_key, algorithm=self.algorithm, headers=headers)


def key_set(*pairs: KeyPair) -> dict[str, Any]:
    return {"keys": [pair.public_jwk() for pair in pairs]}


def claims(issuer: str = ISSUER, audience: str = AUDIENCE, **overrides: Any) -> dict[str, Any]:
    """Valid claims for user alice, for ten minutes; `overrides` replace (None removes)."""
    now = int(time.time())
    values = {"iss": issuer, "aud": audience, "sub": "alice", "iat": now, "nbf": now}
    values["exp"] = now + 600
    values.update(overrides)
    return {k: v for k, v in values.items() if v is not None}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _segments(header: dict[str, Any], payload: dict[str, Any]) -> str:
    return f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(payload).encode())}"


def unsigned(payload: dict[str, Any], kid: str) -> str:
    """An `alg: none` token."""
    return _segments({"alg": "none", "typ": "JWT", "kid": kid}, payload) + "."


def hs256_with(secret: bytes, payload: dict[str, Any], kid: str) -> str:
    """An HS256 token whose HMAC key is `secret` (the algorithm-confusion forgery when
    `secret` is the verifier's public key). Built by hand: PyJWT rightly refuses to."""
    signing_input = _segments({"alg": "HS256", "typ": "JWT", "kid": kid}, payload)
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"
