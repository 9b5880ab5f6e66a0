"""`graph-batch demo`: rehearse a real job against a throttled, faulty local sandbox.

Installed users have no Makefile, so the demo is a command; everything it needs (world,
job, sandbox) is generated on the spot, and its job and audit log are left in `--out`.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from batch.cli.commands import COMMANDS
from batch.errors import UsageError

NAME = "demo"

OUT = Path("graph-batch-demo")
"""Where the job and its audit log go unless `--out` says otherwise."""


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    """Add the `demo` subcommand."""
    parser = subparsers.add_parser(
        NAME,
        help=COMMANDS[NAME],
        description=(
            "Serve a generated tenant from an in-process sandbox with throttling and injected "
            "faults, find the targets with `graph-batch list` (published events you organize "
            "before a date) and write them as a manifest, run it with `graph-batch run`, then "
            "check from the sandbox's own records that exactly those events changed, each "
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
