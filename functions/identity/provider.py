"""The built-in identity provider's state: its configuration, key, grants and metadata."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from functions.identity.grants import Grants
from functions.identity.keystore import ALGORITHM, load_or_create, load_secret
from functions.identity.pkce import METHOD
from functions.identity.redirects import parse_allow_list, redirect_allowed
from functions.identity.tokens import TokenIssuer
from functions.shared.identity.local import IssuerRecord, write_issuer_record
from functions.shared.settings import Settings

SCOPES = ("openid", "profile", "offline_access")
CODE_TTL_SECONDS = 60.0


@dataclass(frozen=True)
class ProviderConfig:
    data_dir: Path
    issuer: str  # its public URL, e.g. http://127.0.0.1:8000 (no trailing slash)
    audience: str = "todomesh"
    access_ttl: float = 3600.0
    refresh_ttl: float = 8 * 3600.0
    code_ttl: float = CODE_TTL_SECONDS
    redirect_uris: tuple[str, ...] = ()
    admin_claim: str = "roles"
    admin_role: str = "admin"

    @classmethod
    def from_settings(cls, settings: Settings, issuer: str | None = None) -> ProviderConfig:
        """The provider `settings` describe, serving `issuer` (else TODOMESH_TOKEN_ISSUER)."""
        issuer = issuer or settings.token_issuer
        if not issuer:
            raise ValueError("The built-in identity provider needs its issuer URL")
        return cls(
            data_dir=Path(settings.data_dir),
            issuer=issuer.rstrip("/"),
            audience=settings.audience,
            access_ttl=settings.token_ttl_seconds,
            refresh_ttl=settings.refresh_token_ttl_seconds,
            redirect_uris=parse_allow_list(settings.redirect_uris),
            admin_claim=settings.admin_claim,
            admin_role=settings.admin_role,
        )


class IdentityProvider:
    def __init__(self, config: ProviderConfig, tokens: TokenIssuer, grants: Grants) -> None:
        self.config, self.tokens, self.grants = config, tokens, grants

    @classmethod
    def open(
        cls, config: ProviderConfig, clock: Callable[[], float] = time.time
    ) -> IdentityProvider:
        """Load (or make) the key and secret, and record the issuer this provider serves."""
        key = load_or_create(config.data_dir)
        record = IssuerRecord(config.issuer, config.audience, config.admin_claim, config.admin_role)
        write_issuer_record(config.data_dir, record)
        grants = Grants(
            load_secret(config.data_dir),
            code_ttl=config.code_ttl,
            refresh_ttl=config.refresh_ttl,
            clock=clock,
        )
        tokens = TokenIssuer(
            key, config.issuer, config.audience, config.admin_claim, config.admin_role
        )
        return cls(config, tokens, grants)

    def url(self, path: str) -> str:
        return self.config.issuer + path

    def redirect_allowed(self, uri: str) -> bool:
        return redirect_allowed(uri, self.config.issuer, self.config.redirect_uris)

    def metadata(self) -> dict[str, Any]:
        """The OpenID discovery (and RFC 8414) document."""
        return {
            "issuer": self.config.issuer,
            "authorization_endpoint": self.url("/oauth/authorize"),
            "token_endpoint": self.url("/oauth/token"),
            "jwks_uri": self.url("/.well-known/jwks.json"),
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "code_challenge_methods_supported": [METHOD],
            "token_endpoint_auth_methods_supported": ["none"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": [ALGORITHM],
            "scopes_supported": list(SCOPES),
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "name"],
            "authorization_response_iss_parameter_supported": True,
        }

    def jwks(self) -> dict[str, Any]:
        return {"keys": [self.tokens.key.public_jwk]}

    def token_response(
        self, grant: dict[str, Any], refresh_family: str | None = None
    ) -> dict[str, Any]:
        """The token endpoint's answer for a redeemed code or refresh token."""
        user, admin, client_id = grant["sub"], grant["admin"], grant["client_id"]
        scope = grant.get("scope", "")
        ttl, now = self.config.access_ttl, self.grants.clock()
        extra = {"client_id": client_id, **({"scope": scope} if scope else {})}
        body: dict[str, Any] = {
            "access_token": self.tokens.access_token(user, admin=admin, ttl=ttl, now=now, **extra),
            "token_type": "Bearer",
            "expires_in": int(ttl),
            "scope": scope,
            "refresh_token": self.grants.issue_refresh(
                refresh_family, sub=user, admin=admin, client_id=client_id, scope=scope
            ),
        }
        if "openid" in scope.split() and refresh_family is None:
            body["id_token"] = self.tokens.id_token(
                user, client_id, ttl=ttl, now=now, nonce=grant.get("nonce")
            )
        return body
