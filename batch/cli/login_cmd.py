"""`graph-batch login`: sign in once with a device code so later (cron) runs refresh silently."""

from __future__ import annotations

import argparse
import os

from batch.auth.choices import DEFAULT_TENANT, GRAPH_CLI_CLIENT_ID
from batch.cli.auth_args import CLOUD_ENV, add_cloud_argument
from batch.cli.commands import COMMANDS
from batch.exit_codes import ExitCode

NAME = "login"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `login` subcommand."""
    parser = subparsers.add_parser(
        NAME,
        help=COMMANDS[NAME],
        description="Sign in as the event organizer with a device code. The sign-in record "
        "and an encrypted token cache are saved so later runs (--auth device-code, or auto) "
        "refresh silently; `graph-batch logout` removes them.",
    )
    parser.add_argument(
        "--tenant",
        help=f"tenant id or domain (default: AZURE_TENANT_ID, else {DEFAULT_TENANT!r})",
    )
    parser.add_argument(
        "--client-id",
        help="public client app id (default: AZURE_CLIENT_ID, else Microsoft Graph Command "
        f"Line Tools {GRAPH_CLI_CLIENT_ID})",
    )
    add_cloud_argument(parser)
    parser.add_argument(
        "--allow-unencrypted",
        action="store_true",
        help="store the token cache in a file readable only by you when the platform "
        "keyring is unavailable (headless Linux); off by default",
    )
    parser.set_defaults(func=handler)


def handler(args: argparse.Namespace) -> int:
    """Run the device-code flow and save the result."""
    from batch.auth.clouds import cloud_for
    from batch.auth.device_code import login
    from batch.auth.login_state import login_path, state_dir_from

    env = os.environ
    state_dir = state_dir_from(env)
    record = login(
        state_dir,
        cloud=cloud_for(args.cloud or env.get(CLOUD_ENV)),
        tenant=args.tenant or env.get("AZURE_TENANT_ID") or DEFAULT_TENANT,
        client_id=args.client_id or env.get("AZURE_CLIENT_ID") or GRAPH_CLI_CLIENT_ID,
        allow_unencrypted=args.allow_unencrypted,
    )
    print(
        f"Signed in as {record.username} (tenant {record.tenant_id}); "
        f"saved to {login_path(state_dir)}"
    )
    return int(ExitCode.OK)
