"""The end-of-run summary on stdout: counts, the failed rows, and what was left undone."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from rich.console import RenderableType
from rich.text import Text

from batch.audit.records import Outcome
from batch.display.tables import count, counts_table, finished_line, rows, rows_table
from batch.durations import format_duration
from batch.run.workers import RunTotals

_OUTCOMES = tuple(outcome.value for outcome in Outcome)


@dataclass(frozen=True)
class RunFacts:
    """What the summary says besides the counts: traffic, time, files, exit code."""

    manifest: str
    requests: int
    throttled: int
    elapsed: float
    audit_log: Path
    exit_code: int
    skipped: Mapping[str, int]
    """Rows the selection skipped before the run, per reason (`not-in-plan: not-found`, ...)."""
    failures_csv: Path | None = None
    failures_written: int = 0


def render_summary(totals: RunTotals, facts: RunFacts) -> list[RenderableType]:
    """The summary, top to bottom: table, skipped rows, failed rows, undone rows, traffic."""
    parts: list[RenderableType] = [
        Text(""),
        counts_table(
            totals.by_op, _OUTCOMES, totals=totals.counts, title="graph-batch run summary"
        ),
    ]
    for reason, n in facts.skipped.items():
        parts.append(Text(f"skipped {count(n)}: {reason}", style="yellow"))
    parts += _failed(totals, facts)
    if totals.not_run:
        resume = f"graph-batch run {facts.manifest} --resume --audit-log {facts.audit_log}"
        parts.append(
            Text(
                f"{rows(totals.not_run)} not run; run again with --resume:\n  {resume}",
                style="bold magenta",
            )
        )
    if facts.failures_csv is not None and facts.failures_written:
        parts.append(
            Text(f"{rows(facts.failures_written)} left undone written to {facts.failures_csv}")
        )
    parts.append(
        Text(
            f"requests {count(facts.requests)}  throttled (429) {count(facts.throttled)}  "
            f"elapsed {format_duration(facts.elapsed)}  exit code {facts.exit_code}"
        )
    )
    parts.append(Text(f"audit log: {facts.audit_log}"))
    return parts


def _failed(totals: RunTotals, facts: RunFacts) -> list[RenderableType]:
    failed = totals.counts[Outcome.FAILED.value]
    if not totals.failed:
        return []
    shown = len(totals.failed)
    title = f"Failed rows ({count(failed)}" + (f", first {shown} shown)" if shown < failed else ")")
    lines = [finished_line(record) for record in totals.failed]
    parts: list[RenderableType] = [rows_table(lines, title=title)]
    if shown < failed:
        where = f"graph-batch report {facts.audit_log}"
        if facts.failures_csv is not None:
            where += f", or {facts.failures_csv}"
        parts.append(Text(f"... and {count(failed - shown)} more: {where}", style="red"))
    return parts
