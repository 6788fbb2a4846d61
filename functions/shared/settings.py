"""One typed settings object, read once at start-up and passed down.

Each field has a typed default that an environment variable overrides
(`TODOMESH_<FIELD>` unless the field names another variable), in the manner of
dapr/python-sdk's `global_settings`.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MODES = ("embedded", "dapr")
REMINDER_MODES = ("sweep", "jobs")
ROLES = ("all", "consumer", "query")


def _env(name: str) -> dict[str, str]:
    return {"env": name}


@dataclass(frozen=True)
class Settings:
    mode: str = "embedded"
    database_url: str | None = field(default=None, metadata=_env("DATABASE_URL"))
    data_dir: Path = Path(".todomesh")
    auto_migrate: bool = False
    log_level: str = field(default="INFO", metadata=_env("LOG_LEVEL"))
    dapr_host: str = "127.0.0.1"
    dapr_http_port: int = field(default=3500, metadata=_env("DAPR_HTTP_PORT"))
    pubsub_name: str = "pubsub"
    secret_store: str = "secretstore"
    database_secret_key: str = "database-url"
    # Dapr's APP_API_TOKEN: daprd sends it as `dapr-api-token` on every call to the
    # app; when set, routes only Dapr may call (events, cron, jobs) require it.
    app_api_token: str | None = field(default=None, metadata=_env("APP_API_TOKEN"))
    # Dapr's DAPR_API_TOKEN: when set, daprd accepts only calls that carry it, and
    # every call of ours to the sidecar sends it.
    dapr_api_token: str | None = field(default=None, metadata=_env("DAPR_API_TOKEN"))
    # A consumer function deployed in two halves (docs/deploy.md): `consumer` handles the
    # deliveries and serves no query API; `query` serves only the query API. `all`: both.
    role: str = "all"
    email_binding: str = "smtp"
    reminder_mode: str = "sweep"
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_sender: str = "todomesh@localhost"
    outbox_batch_size: int = 100
    # How often a relay looks at its outbox when no commit woke it (default by mode, see
    # `relay_poll_seconds`).
    outbox_poll_seconds: float | None = None
    outbox_max_backoff_seconds: float = 30.0
    notify_max_attempts: int = 5
    # Webhooks to private, loopback and link-local addresses (see notify.egress).
    webhook_allow_private: bool = False
    retention_days: float = 14.0  # published outbox rows, dedupe records, the embedded log
    hub_retention_count: int = 10_000
    hub_retention_seconds: int = 7 * 24 * 3600
    hub_ping_seconds: float = 25.0
    hub_queue_size: int = 256
    hub_auth_seconds: float = 5.0  # for the first {"type": "auth"} message of a WebSocket
    # Identity (docs/identity.md): keys by OpenID discovery of `oidc_issuer`, or from
    # `jwks_url` (then `iss` must be `token_issuer`, else `oidc_issuer`); with neither,
    # the built-in provider's keys in <data_dir>/identity/ and its issuer.
    oidc_issuer: str | None = None
    jwks_url: str | None = None
    # The todo service serves the built-in provider itself (the self-hosted Dapr mode,
    # a laptop cluster); `todomesh dev` always does unless one of the above is set.
    serve_identity: bool = False
    # The URL people and MCP clients reach the API at (default: the built-in provider's
    # issuer), and the Host headers the MCP endpoint accepts besides it and loopback.
    public_url: str | None = None
    allowed_hosts: str = ""
    token_issuer: str | None = None
    audience: str = "todomesh"
    token_leeway_seconds: float = 30.0
    admin_claim: str = "roles"  # a dotted path such as realm_access.roles
    admin_role: str = "admin"
    jwks_cache_seconds: float = 300.0
    jwks_refresh_seconds: float = 30.0  # the least time between two fetches of the keys
    # The built-in provider: token lifetimes, and redirect URIs it allows besides its
    # own origin (space-separated, exact; a loopback one matches any port).
    token_ttl_seconds: int = 3600
    refresh_token_ttl_seconds: int = 8 * 3600
    redirect_uris: str = ""
    # The web page's OAuth client id at the identity provider (the built-in one takes any).
    web_client_id: str = "todomesh-web"
    # Hostile input (docs/security.md): exact origins allowed by CORS (space- or
    # comma-separated), and per-caller write limits with their storage URI.
    cors_origins: str = ""
    rate_limit_writes: str = "60/minute;600/hour"
    rate_limit_storage: str = "memory://"
    # The chat's optional LLM (an OpenAI-compatible endpoint); its key comes from the secret
    # store's `llm_api_key_secret` in Dapr mode, else from TODOMESH_LLM_API_KEY.
    llm_base_url: str | None = None
    llm_model: str | None = None
    llm_api_key: str | None = None
    llm_api_key_secret: str = "llm-api-key"
    llm_max_tool_calls: int = 6
    llm_timeout_seconds: float = 20.0
    # Fault injection for crash tests: `relay.before_publish` or `relay.after_publish`
    # ends the process at that point, as a power cut would. Never set in production.
    failpoint: str | None = None
    # The threads that serve an app's Flask side behind its ASGI front; each may hold a
    # database connection at once.
    threads: int = field(default=16, metadata=_env("GUNICORN_THREADS"))

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"TODOMESH_MODE must be one of {MODES}, not {self.mode!r}")
        if self.role not in ROLES:
            raise ValueError(f"TODOMESH_ROLE must be one of {ROLES}, not {self.role!r}")
        if self.reminder_mode not in REMINDER_MODES:
            raise ValueError(
                f"TODOMESH_REMINDER_MODE must be one of {REMINDER_MODES}, "
                f"not {self.reminder_mode!r}"
            )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Read every field from `environ` (default `os.environ`); `overrides` win."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            name = f.metadata.get("env", f"TODOMESH_{f.name.upper()}")
            if name in environ and environ[name] != "":
                values[f.name] = _convert(f.type, environ[name], name)
        values.update(overrides)
        return cls(**values)

    @property
    def serves_events(self) -> bool:
        return self.role != "query"

    @property
    def serves_queries(self) -> bool:
        return self.role != "consumer"

    @property
    def relay_poll_seconds(self) -> float:
        """Embedded, one process writes each outbox and its commits wake the relay, so the
        poll is only a safety net (30 s). In Dapr mode the leading replica's relay also
        publishes what the other replicas commit, which their notices announce; the poll
        (2 s) is how a standby takes over from a leader that died, and it finds the rare
        notice that pg8000 read early (`OutboxNotices`)."""
        if self.outbox_poll_seconds is not None:
            return self.outbox_poll_seconds
        return 2.0 if self.mode == "dapr" else 30.0

    @property
    def secrets(self) -> tuple[str | None, ...]:
        """Values no log line may show (see `functions.shared.redaction`)."""
        return (self.app_api_token, self.dapr_api_token, self.llm_api_key)

    @property
    def dapr_url(self) -> str:
        return f"http://{self.dapr_host}:{self.dapr_http_port}"

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)


def _convert(type_name: Any, raw: str, name: str) -> Any:
    kind = str(type_name).replace(" | None", "")
    try:
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
        if kind == "bool":
            return raw.strip().lower() in ("1", "true", "yes", "on")
        if kind == "Path":
            return Path(raw)
    except ValueError as exc:
        raise ValueError(f"{name}={raw!r} is not a valid {kind}") from exc
    return raw
