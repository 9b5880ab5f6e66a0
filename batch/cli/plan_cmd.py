"""`graph-batch plan MANIFEST`: what a run would do, from reads only; nothing is changed.

Exit 0 when every row will apply or is already done, 1 when any row is not-found, forbidden or
error (look before running), 2 for an invalid manifest or usage, 3 when the token is refused.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from batch.cli.auth_args import add_auth_arguments, resolve_cloud, token_source_from_args
from batch.cli.commands import COMMANDS
from batch.cli.output_args import add_verbose_argument, reject_output_argument
from batch.exit_codes import ExitCode

if TYPE_CHECKING:
    from batch.manifest import Validation
    from batch.planning.settings import PlanSettings
    from batch.planning.tally import PlanTally
    from batch.settings import RateLimit

NAME = "plan"


def _rate(text: str) -> RateLimit:
    from batch.settings import RateLimit

    try:
        return RateLimit.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `plan` subcommand."""
    parser = subparsers.add_parser(
        NAME,
        help=COMMANDS[NAME],
        description=(
            "Read the current state of every row's target (GETs only, paced under the read "
            "limit) and classify each row: will-apply, already-done, not-found, forbidden, "
            "error, or unknown (the token may not read whether it is done; a run sends it). "
            "Prints a summary and the estimated run time; --out writes plan.json for review "
            "and for `run --plan`. Exit 0 when every row will apply, is already done or is "
            "unknown, "
            "1 when any needs attention, 2 invalid manifest/usage, 3 token refused."
        ),
    )
    parser.add_argument("manifest", type=Path, metavar="MANIFEST", help=".csv, .yaml or .yml")
    parser.add_argument(
        "--out", type=Path, metavar="PATH", help="write the plan here (e.g. plan.json)"
    )
    parser.add_argument(
        "--base-url",
        help="Graph root URL (default https://graph.microsoft.com; env GRAPH_BATCH_BASE_URL)",
    )
    parser.add_argument("--api-version", choices=("v1.0", "beta"), help="(default v1.0)")
    parser.add_argument(
        "--read-limit",
        type=_rate,
        metavar="N/Ts",
        help="pace reads: at most N in any T s (750/30s)",
    )
    parser.add_argument(
        "--write-limit",
        type=_rate,
        metavar="N/Ts",
        help="the run's write limit, for the time estimate (15/30s)",
    )
    parser.add_argument(
        "--concurrency",
        type=int,
        metavar="N",
        help="reads in flight (default 4)",
    )
    parser.add_argument(
        "--log-format",
        choices=("console", "json"),
        help="diagnostics on stderr as readable lines or one JSON object per line (console)",
    )
    parser.add_argument(
        "-q", "--quiet", action="store_true", help="no progress while reading; the summary only"
    )
    add_verbose_argument(parser)
    reject_output_argument(parser, "plan does not have: the plan file is --out PATH")
    add_auth_arguments(parser)
    parser.set_defaults(func=handle)


def _report_invalid(validation: Validation) -> None:
    from batch.manifest.findings import findings

    for line in findings(validation, suffix="; nothing was sent"):
        print(line, file=sys.stderr)


def _settings(args: argparse.Namespace, validation: Validation) -> PlanSettings:
    cli = {
        "base_url": args.base_url,
        "api_version": args.api_version,
        "read_limit": args.read_limit,
        "write_limit": args.write_limit,
        "concurrency": args.concurrency,
        "log_format": args.log_format,
    }
    from batch.auth.clouds import graph_base_url_for
    from batch.planning.settings import resolve_plan_settings

    cloud = resolve_cloud(args.cloud, os.environ, validation.settings)
    return resolve_plan_settings(
        cli, os.environ, validation.settings, default_base_url=graph_base_url_for(cloud)
    )


async def _plan(
    args: argparse.Namespace, validation: Validation, settings: PlanSettings
) -> PlanTally:
    from batch.interrupts import cancel_on_interrupt
    from batch.planning.service import make_plan

    tokens = token_source_from_args(args, validation.settings)
    try:
        return await cancel_on_interrupt(
            make_plan(
                validation,
                settings,
                tokens,
                out=args.out,
                progress_to=None if args.quiet else sys.stderr,
                live=sys.stderr.isatty(),
            )
        )
    finally:
        await tokens.close()


def handle(args: argparse.Namespace) -> int:
    """Validate, plan, print the summary; the exit code says whether rows need attention."""
    import asyncio

    from batch.diagnostics import configure_diagnostics
    from batch.display.terminal import show
    from batch.files.collisions import check_distinct, check_replaceable_outputs
    from batch.manifest import validate_manifest
    from batch.planning.summary import render_summary
    from batch.safe_text import for_terminal

    configure_diagnostics(os.environ, verbose=args.verbose)  # retries: only when asked for
    check_distinct(
        reads={"MANIFEST": args.manifest, "--token-file": args.token_file},
        writes={"--out": args.out},
        consequence="nothing was written or sent",
    )
    check_replaceable_outputs({"--out": args.out}, consequence="nothing was written or sent")
    validation = validate_manifest(args.manifest)
    if not validation.ok:
        _report_invalid(validation)
        return int(ExitCode.INVALID)
    settings = _settings(args, validation)
    configure_diagnostics(os.environ, settings.log_format, verbose=args.verbose)
    tally = asyncio.run(_plan(args, validation, settings))
    show(sys.stdout, *render_summary(tally, settings.write_limit))
    if args.out is not None:
        print(for_terminal(f"Plan written to {args.out}; review it, then run:"))
        print(for_terminal(f"  graph-batch run {args.manifest} --plan {args.out}"))
    return int(ExitCode.FAILED if tally.needs_attention else ExitCode.OK)
