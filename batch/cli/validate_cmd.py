"""`graph-batch validate MANIFEST...`: check manifests without sending anything.

Lists every problem as `FILE:LINE: field: message` (the first 100 per file), then one summary
line per file; exits 0 when every file is valid (warnings allowed), 2 when any has an error.
"""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

from batch.exit_codes import ExitCode

if TYPE_CHECKING:
    from batch.manifest import Problem, Validation


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `validate` subcommand."""
    parser = subparsers.add_parser(
        "validate",
        help="check job manifests without sending anything",
        description=(
            "Check CSV/YAML job manifests and list every problem as FILE:LINE: field: message. "
            "Exit 0 when all are valid (warnings allowed), 2 when any has an error."
        ),
    )
    parser.add_argument("manifests", nargs="+", metavar="MANIFEST", help=".csv, .yaml or .yml")
    parser.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="text for people (default), json for CI",
    )
    parser.set_defaults(func=handle)


def handle(args: argparse.Namespace) -> int:
    """Validate each manifest, print the findings, and return 0 or 2."""
    from batch.manifest import validate_manifest

    results = [validate_manifest(path) for path in args.manifests]
    if args.format == "json":
        print(
            json.dumps({"ok": all(v.ok for v in results), "files": [_as_json(v) for v in results]})
        )
    else:
        for validation in results:
            _print_text(validation)
    return int(ExitCode.OK if all(v.ok for v in results) else ExitCode.INVALID)


def listed(validation: Validation) -> list[Problem]:
    """The problems to show for a file, errors and warnings merged in line order, at most 100."""
    from batch.manifest import MAX_LISTED

    merged = sorted((*validation.errors, *validation.warnings), key=lambda p: p.line or 0)
    return merged[:MAX_LISTED]


def summary(validation: Validation) -> str:
    """One line saying what a file holds and whether it is valid."""
    ops = ", ".join(f"{op} {count}" for op, count in sorted(validation.counts_by_op.items()))
    verdict = "valid" if validation.ok else f"INVALID ({_plural(validation.error_count, 'error')})"
    parts = [f"{validation.file}: {verdict}", _plural(validation.operation_count, "operation")]
    if ops:
        parts[-1] += f" ({ops})"
    if validation.warning_count:
        parts.append(_plural(validation.warning_count, "warning"))
    return ", ".join(parts)


def _print_text(validation: Validation) -> None:
    shown = listed(validation)
    for problem in shown:
        print(problem)
    hidden = validation.error_count + validation.warning_count - len(shown)
    if hidden > 0:
        print(f"... and {hidden} more {'problem' if hidden == 1 else 'problems'}")
    print(summary(validation))


def _as_json(validation: Validation) -> dict[str, Any]:
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


def _plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"
