"""The built-in identity provider of the embedded and self-hosted modes (for development).

It keeps an ES256 key in `<data_dir>/identity/`, serves OpenID discovery, its key
set and the OAuth 2.1 code flow with PKCE behind a sign-in page that asks only for
a name, and mints tokens offline for `todomesh token`. See docs/identity.md.
"""

from functions.identity.blueprint import PATHS, create_blueprint
from functions.identity.cli import add_token_command, demo_token_line, run_token
from functions.identity.provider import IdentityProvider, ProviderConfig
from functions.identity.tokens import mint_token

__all__ = [
    "PATHS",
    "IdentityProvider",
    "ProviderConfig",
    "add_token_command",
    "create_blueprint",
    "demo_token_line",
    "mint_token",
    "run_token",
]
