"""`graph-batch whoami`: which identity and permissions the configured credential yields."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

from batch.cli.auth_args import add_auth_arguments, token_source_from_args
from batch.cli.commands import COMMANDS
from batch.cli.output_args import add_format_argument
from batch.exit_codes import ExitCode

if TYPE_CHECKING:
    from datetime import datetime

    from batch.auth.describe import TokenInfo

NAME = "whoami"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `whoami` subcommand."""
    parser = subparsers.add_parser(
        NAME,
        help=COMMANDS[NAME],
        description="Get a token the way `run` would and show its identity, kind "
        "(delegated/app-only), scopes or roles, tenant and expiry. Exit 3 when none works.",
    )
    add_auth_arguments(parser)
    add_format_argument(parser, ("table", "json"))
    parser.set_defaults(func=handler)


async def _token_info(args: argparse.Namespace) -> TokenInfo:
    from batch.auth.describe import describe_token

    source = token_source_from_args(args)
    try:
        return describe_token(await source.get_token())
    finally:
        await source.close()


def render_table(info: TokenInfo, now: datetime) -> str:
    """Aligned `name  value` lines for people."""
    expiry = "unknown (opaque token)"
    if info.expires_on is not None:
        minutes = int((info.expires_on - now).total_seconds() // 60)
        when = f"in {minutes} min" if minutes >= 0 else f"EXPIRED {-minutes} min ago"
        expiry = f"{info.expires_on.isoformat()} ({when})"
    rows = {
        "kind": info.kind,
        "identity": info.identity or "-",
        "tenant": info.tenant or "-",
        "scopes": " ".join(info.scopes) or "-",
        "roles": " ".join(info.roles) or "-",
        "expires": expiry,
    }
    return "\n".join(f"{name:<9} {value}" for name, value in rows.items())


def handler(args: argparse.Namespace) -> int:
    """Print the token's description; AuthError (exit 3) propagates to the CLI."""
    import asyncio
    from datetime import UTC, datetime

    from batch.interrupts import cancel_on_interrupt
    from batch.safe_text import for_terminal

    info = asyncio.run(cancel_on_interrupt(_token_info(args)))
    if args.format == "json":
        print(json.dumps(info.as_dict(), indent=2))
    else:
        print(for_terminal(render_table(info, datetime.now(UTC)), keep_newlines=True))
    return int(ExitCode.OK)
