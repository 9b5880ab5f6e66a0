"""`graph-batch run MANIFEST`: apply a job manifest to Microsoft Graph."""

from __future__ import annotations

import argparse
import os
from typing import TYPE_CHECKING

from batch.auth.choices import CLOUD_ENDPOINTS, DEFAULT_CLOUD
from batch.cli.auth_args import add_auth_arguments, resolve_cloud, token_source_from_args
from batch.cli.commands import COMMANDS
from batch.cli.help_format import ParagraphHelpFormatter
from batch.cli.output_args import add_verbose_argument, reject_output_argument

if TYPE_CHECKING:
    from datetime import datetime

    from batch.auth.base import TokenSource
    from batch.run.settings import RunSettings
    from batch.settings import ManifestSettings

NAME = "run"

_AUTH_FLAGS = ("auth", "token_file", "cloud")
_EPILOG = """\
Every option can also be set with a GRAPH_BATCH_<NAME> environment variable (e.g.
GRAPH_BATCH_CONCURRENCY=8) or in a YAML manifest's settings: block; the command line wins,
then the environment, then the manifest. See docs/runner.md and docs/auth.md.

Exit codes: 0 ok, 1 some rows failed or were not run, 2 invalid manifest/usage (nothing sent),
3 auth failure, 4 another run holds the job's lock, 130 interrupted.
"""


class _FlagCredentials:
    """The token source the auth flags, environment and manifest settings ask for."""

    def __init__(self, args: argparse.Namespace) -> None:
        self._args = args

    def base_url(self, manifest: ManifestSettings) -> str | None:
        """The chosen national cloud's Graph host, if one was chosen."""
        from batch.auth.clouds import graph_base_url_for

        cloud = resolve_cloud(self._args.cloud, os.environ, manifest)
        return graph_base_url_for(cloud) if cloud else None

    def token_source(self, manifest: ManifestSettings, run_ends_at: datetime) -> TokenSource:
        """Build the token source (AuthError, exit 3, when it cannot be set up)."""
        return token_source_from_args(self._args, manifest, run_ends_at=run_ends_at)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `run` subcommand."""
    parser = subparsers.add_parser(
        NAME,
        help=COMMANDS[NAME],
        description=(
            "Validate MANIFEST, then apply its operations through Microsoft Graph with bounded "
            "concurrency, client-side pacing and retries, recording every row in a JSON-lines "
            "audit log. Destructive runs ask for confirmation (or --yes)."
        ),
        epilog=_EPILOG,
        formatter_class=ParagraphHelpFormatter,
    )
    add = parser.add_argument
    add("manifest", metavar="MANIFEST", help="the job manifest (.csv, .yaml or .yml)")
    add("--base-url", help=f"Graph root URL (default {CLOUD_ENDPOINTS[DEFAULT_CLOUD][0]})")
    add("--api-version", choices=("v1.0", "beta"), help="Graph API version (default v1.0)")
    add("--concurrency", metavar="N", help="requests in flight at once (default 4)")
    add("--write-limit", metavar="N/Ts", help="client-side write pacing (default 15/30s)")
    add("--read-limit", metavar="N/Ts", help="client-side read pacing (default 750/30s)")
    add("--max-attempts", metavar="N", help="attempts per request before giving up (default 6)")
    add("--deadline", metavar="DURATION", help="total time budget: 5400, 90m, 2h or 1h30m")
    add("--request-timeout", metavar="SECONDS", help="per-request time limit (default 60)")
    add("--audit-log", metavar="PATH", help="audit log (default ./graph-batch-audit-*.jsonl)")
    add(
        "-y",
        "--yes",
        action="store_const",
        const=True,
        help="do not ask before destructive changes",
    )
    add("--dry-run", action="store_const", const=True, help="send nothing; show what would be done")
    add(
        "-q",
        "--quiet",
        action="store_const",
        const=True,
        help="no progress; summary only on failure",
    )
    add_verbose_argument(parser)
    reject_output_argument(
        parser, "run does not have: every row goes to the audit log (--audit-log PATH)"
    )
    add(
        "--log-format",
        choices=("console", "json"),
        help="diagnostics on stderr as readable lines or one JSON object per line (console)",
    )
    jobctl = parser.add_argument_group("job control (see docs/operability.md)")
    jobctl.add_argument("--max-destructive", metavar="N", help="refuse more destructive rows")
    jobctl.add_argument("--shard", metavar="K/N", help="run only shard K of N (1-based)")
    jobctl.add_argument(
        "--resume", action="store_const", const=True, help="skip rows done in --audit-log"
    )
    jobctl.add_argument("--failures-csv", metavar="PATH", help="write failed rows as a manifest")
    jobctl.add_argument(
        "--lock-file",
        metavar="PATH",
        help="lock file (default: one in the state dir keyed on the audit log, or the manifest "
        "and target)",
    )
    jobctl.add_argument(
        "--plan", metavar="PLAN", help="send only the rows a reviewed plan.json will apply"
    )
    add_auth_arguments(parser)
    parser.set_defaults(func=handle)


def handle(args: argparse.Namespace) -> int:
    """Run the manifest with settings from flags, environment and manifest."""
    from batch.diagnostics import configure_diagnostics
    from batch.run.job import run_job

    skip = {"func", "command", "manifest", "verbose", "output_rejected", *_AUTH_FLAGS}
    cli = {name: value for name, value in vars(args).items() if name not in skip}
    configure_diagnostics(os.environ, verbose=args.verbose)

    def configure_logging(settings: RunSettings) -> None:
        configure_diagnostics(os.environ, settings.log_format, verbose=args.verbose)

    return run_job(
        args.manifest,
        cli,
        os.environ,
        _FlagCredentials(args),
        on_settings=configure_logging,
        inputs={"--token-file": args.token_file},
    )
