"""The MCP server: the task tools at `/mcp` on the todo service's origin (Streamable HTTP,
stateless, JSON responses), authenticated like the REST API.

The SDK checks the bearer token with the same verifier as every other route and
serves the protected-resource metadata (RFC 9728), so an MCP client that supports
OAuth finds the issuer; each tool acts as the token's `sub`.
"""

from __future__ import annotations

import inspect
import logging
from typing import Any, get_type_hints
from urllib.parse import urlsplit

import anyio.to_thread
from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.auth.provider import AccessToken
from mcp.server.auth.settings import AuthSettings
from mcp.server.mcpserver import MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from starlette.routing import Route

from functions.shared.asgi import AsgiParts
from functions.shared.context import AppContext
from functions.shared.identity import KeysUnavailable, TokenError
from functions.shared.identity.lazy import LazyVerifier
from functions.shared.settings import Settings
from functions.todo.tools.catalog import TOOLS, ToolSpec
from functions.todo.tools.preferences import toolbox_for

log = logging.getLogger(__name__)
PATH = "/mcp"
INSTRUCTIONS = (
    "todomesh keeps one person's tasks. Find with find_tasks or find_tasks_by_date, add with "
    "add_tasks or quick_add (everyday English: 'Buy milk tomorrow 5pm #home p1'), and change "
    "tasks by id. Batch tools report each item on its own."
)


class BearerVerifier:
    """The SDK's token verifier, backed by the app's own JWT verification."""

    def __init__(self, verifier: LazyVerifier) -> None:
        self.verifier = verifier

    async def verify_token(self, token: str) -> AccessToken | None:
        try:
            caller = await anyio.to_thread.run_sync(self.verifier.verify, token)
        except (TokenError, KeysUnavailable):
            return None
        claims = dict(caller.claims)
        return AccessToken(
            token=token,
            client_id=str(claims.get("client_id") or claims.get("azp") or "todomesh"),
            scopes=str(claims.get("scope") or "").split(),
            expires_at=int(caller.expires_at.timestamp()),
            subject=caller.user_id,
            claims=claims,
        )


def mcp_parts(ctx: AppContext) -> AsgiParts | None:
    """The MCP routes for the todo service's front, or None without a known issuer."""
    settings = ctx.settings
    issuer = settings.oidc_issuer or settings.token_issuer
    if not issuer:
        log.warning("MCP endpoint off: no token issuer is configured (docs/identity.md)")
        return None
    public = (settings.public_url or issuer).rstrip("/")
    server = MCPServer(
        "todomesh",
        instructions=INSTRUCTIONS,
        token_verifier=BearerVerifier(ctx.get(LazyVerifier)),
        auth=AuthSettings(
            issuer_url=issuer, resource_server_url=public + PATH, validate_token_resource=False
        ),
    )
    for spec in TOOLS:
        server.add_tool(as_mcp_tool(ctx, spec), name=spec.name, annotations=spec.annotations)
    app = server.streamable_http_app(
        streamable_http_path=PATH,
        json_response=True,
        stateless_http=True,
        transport_security=transport_security(settings, public),
    )
    metadata = "/.well-known/oauth-protected-resource" + PATH
    return AsgiParts(
        routes=[Route(PATH, app), Route(metadata, app)],
        lifespans=[server.session_manager.run],
    )


def as_mcp_tool(ctx: AppContext, spec: ToolSpec) -> Any:
    """`spec.fn` without its Toolbox parameter: the toolbox is the token's user's."""
    signature = inspect.signature(spec.fn)
    hints = get_type_hints(spec.fn, include_extras=True)
    params = [p.replace(annotation=hints[p.name]) for p in signature.parameters.values()][1:]

    def tool(**kwargs: Any) -> Any:
        token = get_access_token()
        if token is None or not token.subject:
            raise PermissionError("no verified caller")
        return spec.fn(toolbox_for(ctx, token.subject), **kwargs)

    tool.__name__, tool.__doc__ = spec.name, spec.fn.__doc__
    tool.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=params, return_annotation=hints["return"]
    )
    return tool


def transport_security(settings: Settings, public: str) -> TransportSecuritySettings:
    """Host and Origin checks against DNS rebinding: the public URL's host, loopback, and
    TODOMESH_ALLOWED_HOSTS (a cluster's service names)."""
    hosts = [urlsplit(public).netloc, "127.0.0.1:*", "localhost:*", "[::1]:*"]
    hosts += settings.allowed_hosts.replace(",", " ").split()
    origins = [f"{scheme}://{host}" for host in hosts for scheme in ("http", "https")]
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True, allowed_hosts=hosts, allowed_origins=origins
    )
