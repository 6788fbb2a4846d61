"""`todomesh`: run the platform, migrate schemas, mint development tokens, emit CloudEvents."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from functions.apps import APP_IDS
from functions.emit import add_emit_command, run_emit
from functions.identity.cli import add_token_command, run_token
from functions.identity.hosting import builtin_identity, open_provider
from functions.shared.settings import Settings

# The PostgreSQL of `task infra` (infra/services.sh).
DEV_DATABASE_URL = "postgresql+pg8000://todomesh@127.0.0.1:5433/todomesh"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="todomesh", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    dev = commands.add_parser("dev", help="serve the whole platform, no services needed")
    dev.add_argument("--host", default="127.0.0.1")
    dev.add_argument("--port", type=int, default=8000)
    dev.add_argument("--data-dir", type=Path, help="SQLite files and the event log")
    dev.add_argument("--threads", type=int, default=64, help="threads serving the HTTP API")
    dev.add_argument(
        "--one-process",
        action="store_true",
        help="run the consumer functions in the serving process, not in a second one",
    )

    up = commands.add_parser("up", help="every app with its own daprd (needs `task infra`)")
    how = up.add_mutually_exclusive_group(required=True)
    how.add_argument("--dapr", action="store_true", help="the self-hosted Dapr mode")
    how.add_argument("--pods", action="store_true", help="the image in podman pods (task image)")
    up.add_argument("--work-dir", type=Path, default=Path(".todomesh/dapr"))
    up.add_argument("--database-url", default=DEV_DATABASE_URL)
    up.add_argument("--kafka", default="127.0.0.1:9092", help="Kafka bootstrap servers")
    up.add_argument("--kafka-pods", default="10.0.2.2:9094", help="Kafka for pods (--pods)")
    up.add_argument("--smtp", default="127.0.0.1:2525", help="SMTP server for email, host:port")

    migrate = commands.add_parser("migrate", help="bring database schemas up to date")
    migrate.add_argument("--app", choices=(*APP_IDS, "all"), default="all")

    add_token_command(commands)
    add_emit_command(commands)

    args = parser.parse_args(argv)
    if args.command == "token":
        return run_token(args)
    if args.command == "emit":
        return run_emit(args)
    if args.command == "dev":
        return _dev(args)
    if args.command == "up":
        from functions.launcher.up import run_up  # not in the image

        return run_up(args)
    return _migrate(args)


def _dev(args: argparse.Namespace) -> int:
    from functions.runtime.server import serve

    overrides = {"data_dir": args.data_dir} if args.data_dir else {}
    settings = Settings.from_env(**overrides, mode="embedded")
    if builtin_identity(settings):
        issuer = settings.token_issuer or public_url(args.host, args.port)
        settings = settings.replace(token_issuer=issuer)
        open_provider(settings)  # its key and issuer record, before the worker starts
    serve(settings, args.host, args.port, args.threads, one_process=args.one_process)
    return 0


def public_url(host: str, port: int) -> str:
    """The URL browsers and tokens name this server by (a wildcard bind is reached on
    the loopback address)."""
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    return f"http://{shown}:{port}"


def _migrate(args: argparse.Namespace) -> int:
    from functions.shared.db import make_engine, migrate
    from functions.shared.sidecar import resolve_database_url

    settings = resolve_database_url(Settings.from_env())
    for app_id in APP_IDS if args.app == "all" else (args.app,):
        engine = make_engine(settings, app_id)
        migrate(engine, app_id)
        engine.dispose()
        print(f"{app_id}: schema up to date", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
