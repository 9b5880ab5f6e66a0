"""`graph-batch demo`: rehearse a real job against a throttled, faulty local sandbox.

Installed users have no Makefile, so the demo is a command; everything it needs (world,
job, sandbox) is generated on the spot, and its job and audit log are left in `--out`.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from batch.errors import UsageError

OUT = Path("graph-batch-demo")
"""Where the job and its audit log go unless `--out` says otherwise."""


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    """Add the `demo` subcommand."""
    parser = subparsers.add_parser(
        "demo",
        help="run a 150-row job against a local sandbox with throttling and faults",
        description=(
            "Generate a world and a 150-row job, serve the world from an in-process sandbox "
            "with throttling and injected faults, run the job with `graph-batch run`, then "
            "check from the sandbox's own counters that every change was applied exactly "
            "once. Touches no tenant; needs no sign-in. Exit 0 when the check passes."
        ),
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=OUT,
        metavar="DIR",
        help=f"where the job and its audit log are written (default ./{OUT})",
    )
    parser.set_defaults(func=handle)


def handle(args: argparse.Namespace) -> int:
    """Run the demo; 0 when the run and the verification pass, else 1."""
    from batch.demo import main as demo

    try:
        args.out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot write to {args.out}: {exc.strerror or exc}") from exc
    return demo(args.out)
