"""Where the built-in provider is served: on `todomesh dev`'s one origin, or by the todo
service in the self-hosted Dapr mode, unless a real identity provider is configured."""

from __future__ import annotations

from flask import Flask

from functions.identity.blueprint import create_blueprint
from functions.identity.provider import IdentityProvider, ProviderConfig
from functions.shared.problems import register_problem_handlers
from functions.shared.security.headers import install_security_headers
from functions.shared.settings import Settings


def builtin_identity(settings: Settings) -> bool:
    """Whether tokens come from the built-in provider (no issuer or key set is configured)."""
    return not (settings.oidc_issuer or settings.jwks_url)


def open_provider(settings: Settings) -> IdentityProvider:
    """The built-in provider on `settings.data_dir`, serving `settings.token_issuer`."""
    return IdentityProvider.open(ProviderConfig.from_settings(settings))


def identity_app(provider: IdentityProvider) -> Flask:
    """The provider's routes as an app of their own (the embedded platform's front)."""
    app = Flask("identity")
    register_problem_handlers(app)
    install_security_headers(app)
    app.register_blueprint(create_blueprint(provider))
    return app
