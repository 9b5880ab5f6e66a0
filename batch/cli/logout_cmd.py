"""`graph-batch logout`: forget the saved sign-in and empty its token cache."""

from __future__ import annotations

import argparse
import os

from batch.cli.commands import COMMANDS
from batch.exit_codes import ExitCode

NAME = "logout"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `logout` subcommand."""
    parser = subparsers.add_parser(
        NAME,
        help=COMMANDS[NAME],
        description="Delete what `graph-batch login` saved: the sign-in record and the "
        "persistent token cache (keyring entry or file).",
    )
    parser.set_defaults(func=handler)


def handler(args: argparse.Namespace) -> int:
    """Remove the saved state; succeeds (exit 0) also when there was nothing to remove."""
    from batch.auth.device_code import logout
    from batch.auth.login_state import state_dir_from

    removed = logout(state_dir_from(os.environ))
    if not removed:
        print("No saved sign-in.")
    for path in removed:
        print(f"Removed {path}")
    return int(ExitCode.OK)
