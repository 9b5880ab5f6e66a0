"""`graph-batch report AUDIT.jsonl`: summarize a run from its audit log (table, JSON or JUnit).

Exit code 0 when the reported run(s) finished with no failed row, 1 when rows failed or the run
was cut short, 5 when a run never finished (crashed, killed, or still running), 2 when the file
is unreadable, empty or not an audit log; CI can gate on it and publish the JUnit file.
"""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from batch.cli.commands import COMMANDS
from batch.cli.output_args import add_format_argument
from batch.errors import UsageError
from batch.exit_codes import ExitCode

if TYPE_CHECKING:
    from batch.audit.summary import AuditReport

NAME = "report"

FORMATS = ("table", "json", "junit")


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    """Add the `report` subcommand."""
    parser = subparsers.add_parser(
        NAME,
        help=COMMANDS[NAME],
        description=(
            "Summarize the last run in an audit log: rows per outcome and per op, throttling, "
            "elapsed time, exit code and the failed rows. Exits 0 when the run finished with no "
            "failed row, 1 when rows failed or the run was cut short, 5 when it never finished "
            "(crashed, killed or still running), 2 when the file is not a readable audit log."
        ),
    )
    parser.add_argument("audit_log", type=Path, metavar="AUDIT.jsonl", help="the run's audit log")
    add_format_argument(parser, FORMATS)
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--run-id", metavar="ID", help="report this run instead of the last one")
    which.add_argument(
        "--all", action="store_true", dest="all_runs", help="report every run in the log"
    )
    parser.add_argument(
        "--out", type=Path, metavar="PATH", help="write the report to this file, not to stdout"
    )
    parser.set_defaults(func=handle)


def handle(args: argparse.Namespace) -> int:
    """Load, render, write; the exit code says whether the reported run finished cleanly."""
    from batch.audit.summary import load_report  # rich and the file writer: only when used
    from batch.files.collisions import check_distinct, check_replaceable_outputs
    from batch.files.private import describe, write_private
    from batch.safe_text import for_terminal

    check_distinct(
        reads={"AUDIT.jsonl": args.audit_log},
        writes={"--out": args.out},
        consequence="nothing was written",
    )
    check_replaceable_outputs({"--out": args.out}, consequence="nothing was written")
    report = load_report(args.audit_log, run_id=args.run_id, all_runs=args.all_runs)
    if report.corrupt_lines:
        lines = ", ".join(map(str, report.corrupt_lines[:10]))
        more = " ..." if len(report.corrupt_lines) > 10 else ""
        tail = " (the last one was cut off mid-write)" if report.truncated_tail else ""
        print(
            for_terminal(
                f"graph-batch: warning: skipped {len(report.corrupt_lines)} unreadable line(s) "
                f"of {args.audit_log}: {lines}{more}{tail}"
            ),
            file=sys.stderr,
        )
    text = _render(args.format, report, sys.stdout if args.out is None else io.StringIO())
    if args.out is None:
        sys.stdout.write(text)
    else:
        try:
            write_private(args.out, text)
        except OSError as exc:
            raise UsageError(f"cannot write report to {args.out}: {describe(exc)}") from exc
    if report.unfinished:
        print(
            for_terminal(
                f"graph-batch: run {', '.join(report.unfinished)} did not finish (crashed, killed "
                "or still running): `graph-batch run --resume` with the same --audit-log "
                "completes it"
            ),
            file=sys.stderr,
        )
        return int(ExitCode.UNFINISHED)
    return int(ExitCode.FAILED if report.has_failures else ExitCode.OK)


def _render(output_format: str, report: AuditReport, stream: TextIO) -> str:
    """The report as text for `stream` (the table is coloured only for a terminal)."""
    # Imported here: rich loads only when a report is drawn, not for every command.
    from batch.audit.junit import render_junit
    from batch.audit.report import render_json, render_table

    if output_format == "json":
        return render_json(report)
    if output_format == "junit":
        return render_junit(report)
    return render_table(report, stream)
