"""`todomesh`: run the platform, migrate schemas."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from functions.shared.settings import Settings
from functions.wsgi import APP_IDS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="todomesh", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    dev = commands.add_parser("dev", help="serve the whole platform in one process")
    dev.add_argument("--host", default="127.0.0.1")
    dev.add_argument("--port", type=int, default=8000)
    dev.add_argument("--data-dir", type=Path, help="SQLite files and the event log")
    dev.add_argument("--threads", type=int, default=256, help="threads; each WebSocket holds one")

    migrate = commands.add_parser("migrate", help="bring database schemas up to date")
    migrate.add_argument("--app", choices=(*APP_IDS, "all"), default="all")

    args = parser.parse_args(argv)
    if args.command == "dev":
        return _dev(args)
    return _migrate(args)


def _dev(args: argparse.Namespace) -> int:
    from functions.runtime.server import serve

    overrides = {"data_dir": args.data_dir} if args.data_dir else {}
    settings = Settings.from_env(**overrides, mode="embedded")
    serve(settings, args.host, args.port, args.threads)
    return 0


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
