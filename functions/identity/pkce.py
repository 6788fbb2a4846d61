"""PKCE (RFC 7636) with the S256 method only: `plain` would put the secret in the URL."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

METHOD = "S256"
CHALLENGE = re.compile(r"[A-Za-z0-9_-]{43}")  # base64url of a SHA-256 digest
VERIFIER = re.compile(r"[A-Za-z0-9\-._~]{43,128}")  # RFC 7636, section 4.1


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def verifier_matches(verifier: str, challenge: str) -> bool:
    return bool(VERIFIER.fullmatch(verifier)) and hmac.compare_digest(s256(verifier), challenge)
