"""The built-in identity provider of a self-hosted run, as a cluster would wire a real one.

Its key is made in the run's folder before any app starts. The todo service hosts it
(`/.well-known/...`, `/oauth/...`); every other app knows only its issuer URL and
fetches its key set over HTTP, exactly as it would from Keycloak or Dex. A run
without todo has the other apps read the key set from the folder instead. Tokens
name the issuer as callers on this machine reach it; `jwks_host` is where the other
apps reach it (the host's loopback as a container sees it, for apps in pods).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from functions.identity import IdentityProvider, ProviderConfig, mint_token
from functions.launcher.processes import free_port

HOST = "todo"


@dataclass(frozen=True)
class BuiltinIdentity:
    data_dir: Path
    jwks_host: str = "127.0.0.1"

    @functools.cached_property
    def port(self) -> int:
        """The port of the app that hosts the provider."""
        return free_port()

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def prepare(self) -> None:
        """Make (or load) the provider's key, so tokens can be minted before todo starts."""
        IdentityProvider.open(ProviderConfig(self.data_dir, self.issuer))

    def env_for(self, app_id: str, hosted: bool = True) -> dict[str, str]:
        """`app_id`'s identity settings; `hosted` when a todo member serves the provider."""
        env = {"TODOMESH_TOKEN_ISSUER": self.issuer}
        if app_id == HOST:
            return {
                **env,
                "TODOMESH_SERVE_IDENTITY": "true",
                "TODOMESH_DATA_DIR": str(self.data_dir),
            }
        if hosted:
            jwks = f"http://{self.jwks_host}:{self.port}/.well-known/jwks.json"
            return {**env, "TODOMESH_JWKS_URL": jwks}
        return {**env, "TODOMESH_DATA_DIR": str(self.data_dir)}

    def token(self, user: str, *, admin: bool = False, ttl: int = 3600) -> str:
        """A token the running platform accepts (after its todo service has started)."""
        return mint_token(self.data_dir, user, admin=admin, ttl=ttl)
