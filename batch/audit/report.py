"""Render an `AuditReport` for people (table) and for scripts (JSON).

The JSON document has the same content as the table, every failed row included; its shape is
part of the documented contract (see docs/operability.md). Both pass `batch.safe_text`: secrets
masked, control characters escaped (a server's message cannot clear the screen).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from batch.audit.records import OpFinished, Outcome
from batch.audit.summary import AuditReport, RunSummary
from batch.durations import format_duration
from batch.safe_text import for_terminal, json_text

TABLE_FAILED_ROWS = 50
"""How many failed rows the table lists per run; the JSON lists them all."""


def target_text(target: Mapping[str, str]) -> str:
    """`event_id=e1 registration_id=r7`: a row's ids on one line (event_type left out)."""
    return " ".join(f"{name}={value}" for name, value in target.items() if name != "event_type")


def _columns(rows: Sequence[Sequence[str]]) -> list[str]:
    rows = [[for_terminal(cell) for cell in row] for row in rows]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]


def _one_line(text: str | None) -> str:
    return " ".join((text or "").split())


def _run_table(run: RunSummary) -> list[str]:
    started = run.started
    resumed = " (resumed)" if started and started.resumed else ""
    status = f"exit code {run.exit_code}" if run.finished else "did not finish (crashed or running)"
    lines = [
        for_terminal(
            f"Run {run.run_id}{resumed}" + (f"  manifest {started.manifest}" if started else "")
        ),
        f"  {len(run.rows)} rows  elapsed {format_duration(run.elapsed)}  "
        f"throttled {run.throttled}  {status}",
        "",
    ]
    outcomes = [outcome.value for outcome in Outcome]
    counts = run.counts
    lines += _columns([["outcome", "rows"], *([o, str(counts[o])] for o in outcomes)])
    if run.by_op:
        lines.append("")
        lines += _columns(
            [["op", *outcomes]]
            + [[op, *(str(per[o]) for o in outcomes)] for op, per in run.by_op.items()]
        )
    failed = run.failed
    if failed:
        shown = failed[:TABLE_FAILED_ROWS]
        more = f", first {len(shown)} shown" if len(shown) < len(failed) else ""
        lines += ["", f"Failed rows ({len(failed)}{more}):"]
        lines += _columns(
            [["row", "op", "target", "error_code", "error_message"]]
            + [
                [
                    str(r.row),
                    r.op,
                    target_text(r.target),
                    r.error_code or "",
                    _one_line(r.error_message),
                ]
                for r in shown
            ]
        )
    return lines


def render_table(report: AuditReport) -> str:
    """The human summary: per run, outcome and op x outcome counts, then failed rows."""
    sections = ["\n".join(_run_table(run)) for run in report.runs]
    return "\n\n".join(sections) + "\n"


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
    return json_text(document, indent=2) + "\n"
