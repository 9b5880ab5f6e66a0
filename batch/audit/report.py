"""Render an `AuditReport` for people (table) and for scripts (JSON).

The JSON document has the same content as the table, every failed row included; its shape is
part of the documented contract (see docs/operability.md).
"""

from __future__ import annotations

import json
from typing import Any, TextIO

from rich.console import RenderableType
from rich.text import Text

from batch.audit.records import OpFinished, Outcome
from batch.audit.summary import AuditReport, RunSummary
from batch.display.tables import count, counts_table, finished_line, rows, rows_table
from batch.display.terminal import as_text
from batch.durations import format_duration

TABLE_FAILED_ROWS = 50
"""How many failed rows the table lists per run; the JSON lists them all."""


def _run_table(run: RunSummary) -> list[RenderableType]:
    started = run.started
    resumed = " (resumed)" if started and started.resumed else ""
    status = f"exit code {run.exit_code}" if run.finished else "did not finish (crashed or running)"
    outcomes = [outcome.value for outcome in Outcome]
    parts: list[RenderableType] = [
        Text(
            f"Run {run.run_id}{resumed}" + (f"  manifest {started.manifest}" if started else ""),
            style="bold",
        ),
        Text(
            f"  {count(len(run.rows))} rows  elapsed {format_duration(run.elapsed)}  "
            f"throttled {count(run.throttled)}  {status}"
        ),
        counts_table(run.by_op, outcomes, totals=run.counts),
    ]
    if run.not_run:
        parts.append(
            Text(
                f"{rows(run.not_run)} not run; run again with --resume --audit-log (this log)",
                style="bold magenta",
            )
        )
    failed = run.failed
    if failed:
        shown = failed[:TABLE_FAILED_ROWS]
        more = f", first {len(shown)} shown" if len(shown) < len(failed) else ""
        lines = [finished_line(record) for record in shown]
        parts.append(rows_table(lines, title=f"Failed rows ({count(len(failed))}{more}):"))
        if more:
            parts.append(Text("every failed row: graph-batch report --format json"))
    return parts


def render_table(report: AuditReport, stream: TextIO) -> str:
    """The human summary for `stream` (colour only on a terminal): per run, counts, failures."""
    parts: list[RenderableType] = []
    for run in report.runs:
        parts += [*_run_table(run), Text("")]
    return as_text(stream, *parts)


def _failed_doc(row: OpFinished) -> dict[str, Any]:
    return {
        "row": row.row,
        "op": row.op,
        "target": row.target,
        "status": row.status,
        "error_code": row.error_code,
        "error_message": row.error_message,
    }


def run_document(run: RunSummary) -> dict[str, Any]:
    """One run as a JSON-ready dict."""
    started, finished = run.started, run.finished
    return {
        "run_id": run.run_id,
        "manifest": started.manifest if started else None,
        "resumed": bool(started and started.resumed),
        "started_at": started.ts.isoformat() if started else None,
        "finished_at": finished.ts.isoformat() if finished else None,
        "finished": finished is not None,
        "exit_code": run.exit_code,
        "elapsed_seconds": run.elapsed,
        "throttled": run.throttled,
        "rows": len(run.rows),
        "counts": run.counts,
        "not_run": run.not_run,
        "by_op": run.by_op,
        "failed": [_failed_doc(row) for row in run.failed],
    }


def render_json(report: AuditReport) -> str:
    """The report as one JSON document: log health plus one entry per run."""
    document = {
        "audit_log": str(report.path),
        "corrupt_lines": list(report.corrupt_lines),
        "truncated_tail": report.truncated_tail,
        "runs": [run_document(run) for run in report.runs],
    }
    return json.dumps(document, indent=2) + "\n"
