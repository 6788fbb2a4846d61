"""`todomesh token`: print a token the built-in provider on a data directory accepts."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

from functions.identity.tokens import mint_token
from functions.shared.settings import Settings

DEMO_USER = "alice"
DEMO_TTL_SECONDS = 12 * 3600
_DURATION = re.compile(r"(\d+)([smhd]?)")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_ttl(text: str) -> int:
    """`90`, `90s`, `15m`, `1h` or `2d` in seconds (argparse type)."""
    match = _DURATION.fullmatch(text.strip().lower())
    if not match or int(match[1]) == 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration such as 90s, 15m, 1h or 2d")
    return int(match[1]) * _UNITS[match[2]]


def add_token_command(commands: Any) -> argparse.ArgumentParser:
    """Add `token` to the `todomesh` subcommands (the result of `add_subparsers()`)."""
    token = commands.add_parser(
        "token", help="print a token that `todomesh dev` on a data directory accepts"
    )
    token.add_argument("user", help="the user id (the token's subject)")
    token.add_argument("--admin", action="store_true", help="with the administrator role")
    token.add_argument("--ttl", type=parse_ttl, default=3600, help="lifetime: 90s, 15m, 1h, 2d")
    token.add_argument("--data-dir", type=Path, help="the data directory of `todomesh dev`")
    return token


def run_token(args: argparse.Namespace) -> int:
    data_dir = args.data_dir or Settings.from_env().data_dir
    try:
        token = mint_token(data_dir, args.user, admin=args.admin, ttl=args.ttl)
    except ValueError as exc:
        print(f"todomesh token: {exc}", file=sys.stderr)
        return 2
    print(token)
    return 0


def demo_token_line(data_dir: Path, user: str = DEMO_USER, ttl: int = DEMO_TTL_SECONDS) -> str:
    """The line `todomesh dev` prints at start: a token for a demo user (call it after the
    provider has recorded its issuer, so the token names the right one)."""
    token = mint_token(data_dir, user, ttl=ttl)
    return (
        f"  token: {token}\n"
        f"         (user {user}, {ttl // 3600} h; `todomesh token <user>` mints others)"
    )
