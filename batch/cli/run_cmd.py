"""`graph-batch run MANIFEST`: apply a job manifest to Microsoft Graph."""

from __future__ import annotations

import argparse
import os

from batch.job import run_job
from batch.run_settings import DEFAULT_BASE_URL

_EPILOG = """\
Every option can also be set with a GRAPH_BATCH_<NAME> environment variable (e.g.
GRAPH_BATCH_CONCURRENCY=8) or in a YAML manifest's settings: block; the command line wins,
then the environment, then the manifest. The token is read from GRAPH_ACCESS_TOKEN.
Exit codes: 0 ok, 1 some rows failed, 2 invalid manifest/usage (nothing sent), 3 auth failure,
130 interrupted.
"""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `run` subcommand."""
    parser = subparsers.add_parser(
        "run",
        help="apply a job manifest to Microsoft Graph",
        description=(
            "Validate MANIFEST, then apply its operations through Microsoft Graph with bounded "
            "concurrency, client-side pacing and retries, recording every row in a JSON-lines "
            "audit log. Destructive runs ask for confirmation (or --yes)."
        ),
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add = parser.add_argument
    add("manifest", metavar="MANIFEST", help="the job manifest (.csv, .yaml or .yml)")
    add("--base-url", help=f"Graph root URL (default {DEFAULT_BASE_URL})")
    add("--api-version", choices=("v1.0", "beta"), help="Graph API version (default v1.0)")
    add("--concurrency", metavar="N", help="requests in flight at once (default 4)")
    add("--write-limit", metavar="N/Ts", help="client-side write pacing (default 15/30s)")
    add("--read-limit", metavar="N/Ts", help="client-side read pacing (default 750/30s)")
    add("--max-attempts", metavar="N", help="attempts per request before giving up (default 6)")
    add("--deadline", metavar="DURATION", help="total time budget: 5400, 90m, 2h or 1h30m")
    add("--request-timeout", metavar="SECONDS", help="per-request time limit (default 60)")
    add("--audit-log", metavar="PATH", help="audit log path (default ./graph-batch-audit-*.jsonl)")
    add("--yes", action="store_const", const=True, help="do not ask before destructive changes")
    add("--dry-run", action="store_const", const=True, help="send nothing; show what would be done")
    add("--quiet", action="store_const", const=True, help="no progress; summary only on failure")
    parser.set_defaults(func=handle)


def handle(args: argparse.Namespace) -> int:
    """Run the manifest with settings from flags, environment and manifest."""
    cli = {name: value for name, value in vars(args).items() if name not in {"func", "command"}}
    return run_job(cli.pop("manifest"), cli, os.environ)
