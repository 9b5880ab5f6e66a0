"""`graph-batch validate MANIFEST...`: check manifests without sending anything.

Lists every problem as `FILE:LINE: field: message` (the first 100 per file), then one summary
line per file; exits 0 when every file is valid (warnings allowed), 2 when any has an error.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from batch.cli.commands import COMMANDS
from batch.cli.output_args import add_format_argument
from batch.exit_codes import ExitCode

if TYPE_CHECKING:
    from batch.manifest import Validation

NAME = "validate"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `validate` subcommand."""
    parser = subparsers.add_parser(
        NAME,
        help=COMMANDS[NAME],
        description=(
            "Check CSV/YAML job manifests and list every problem as FILE:LINE: field: message. "
            "Exit 0 when all are valid (warnings allowed), 2 when any has an error."
        ),
    )
    parser.add_argument("manifests", nargs="+", metavar="MANIFEST", help=".csv, .yaml or .yml")
    # `text` was this command's name for `table` before every command said `table`.
    add_format_argument(parser, ("table", "json"), aliases=("text",))
    parser.set_defaults(func=handle)


def handle(args: argparse.Namespace) -> int:
    """Validate each manifest, print the findings, and return 0 or 2."""
    from batch.manifest import validate_manifest  # start-up: loaded only when validating
    from batch.safe_text import json_text

    results = [validate_manifest(path) for path in args.manifests]
    if args.format == "json":
        print(
            json_text({"ok": all(v.ok for v in results), "files": [_as_json(v) for v in results]})
        )
    else:
        for validation in results:
            _print_text(validation)
    return int(ExitCode.OK if all(v.ok for v in results) else ExitCode.INVALID)


def _print_text(validation: Validation) -> None:
    from batch.manifest.findings import findings

    for line in findings(validation):
        print(line)


def _as_json(validation: Validation) -> dict[str, Any]:
    from batch.manifest.findings import listed

    return {
        "file": validation.file,
        "format": validation.format,
        "ok": validation.ok,
        "sha256": validation.sha256,
        "operation_count": validation.operation_count,
        "counts_by_op": validation.counts_by_op,
        "error_count": validation.error_count,
        "warning_count": validation.warning_count,
        "problems": [
            {
                "line": problem.line,
                "field": problem.field,
                "message": problem.message,
                "severity": problem.severity,
            }
            for problem in listed(validation)
        ],
    }
