"""Summarize runs from an audit log: counts, throttling, timing and the failed rows.

A resumed run appends to the same log under a new run id, so a log holds several runs; the
report covers the last one unless asked for a named run or all of them. The log is read twice,
first for the run ids and then for the chosen runs' records, so only those runs are held.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from batch.audit.reader import AuditLogScan
from batch.audit.records import AuditRecord, OpAttempt, OpFinished, Outcome, RunFinished, RunStarted
from batch.errors import UsageError


@dataclass
class RunSummary:
    """Everything the audit log says about one run (built by `add`-ing its records in order)."""

    run_id: str
    started: RunStarted | None = None
    finished: RunFinished | None = None
    rows: list[OpFinished] = field(default_factory=list)
    throttled_attempts: int = 0
    first_ts: datetime | None = None
    last_ts: datetime | None = None

    def add(self, record: AuditRecord) -> None:
        """Fold one record of this run into the summary."""
        self.first_ts = self.first_ts or record.ts
        self.last_ts = record.ts
        if isinstance(record, RunStarted):
            self.started = record
        elif isinstance(record, RunFinished):
            self.finished = record
        elif isinstance(record, OpFinished):
            self.rows.append(record)
        elif isinstance(record, OpAttempt) and record.status == 429:
            self.throttled_attempts += 1

    @property
    def counts(self) -> dict[str, int]:
        """Rows per outcome, every outcome present (zero when none)."""
        found = Counter(row.outcome.value for row in self.rows)
        return {outcome.value: found[outcome.value] for outcome in Outcome}

    @property
    def by_op(self) -> dict[str, dict[str, int]]:
        """Rows per op and outcome, ops in first-seen order."""
        table: dict[str, dict[str, int]] = {}
        for row in self.rows:
            per_op = table.setdefault(row.op, {outcome.value: 0 for outcome in Outcome})
            per_op[row.outcome.value] += 1
        return table

    @property
    def failed(self) -> list[OpFinished]:
        """The failed rows, in log order."""
        return [row for row in self.rows if row.outcome == Outcome.FAILED]

    @property
    def not_run(self) -> int:
        """Rows a stop (deadline, Ctrl-C, refused token) left unrun."""
        return sum(1 for row in self.rows if row.not_run)

    @property
    def throttled(self) -> int:
        """429 responses: the run's own total when it finished, else counted from attempts."""
        return self.finished.throttled if self.finished else self.throttled_attempts

    @property
    def elapsed(self) -> float:
        """Seconds the run took (up to its last record when it never finished)."""
        if self.finished is not None:
            return self.finished.elapsed
        if self.first_ts is None or self.last_ts is None:
            return 0.0
        return (self.last_ts - self.first_ts).total_seconds()

    @property
    def exit_code(self) -> int | None:
        """The run's exit code, or None when it never wrote `run.finished` (crashed, running)."""
        return self.finished.exit_code if self.finished else None


@dataclass(frozen=True)
class AuditReport:
    """The summaries of the chosen runs, plus the health of the log they came from."""

    path: Path
    runs: list[RunSummary]
    corrupt_lines: tuple[int, ...] = ()
    truncated_tail: bool = False

    @property
    def has_failures(self) -> bool:
        """Whether any reported run has a failed row."""
        return any(run.failed for run in self.runs)


def load_report(path: Path, run_id: str | None = None, all_runs: bool = False) -> AuditReport:
    """Summarize the last run of the log at `path` (or `run_id`, or every run).

    Raises UsageError when the file is unreadable, holds no runs, or lacks `run_id`.
    """
    scan = AuditLogScan(path)
    run_ids = list(dict.fromkeys(record.run_id for _, record in scan))
    if not run_ids:
        bad = f" ({len(scan.corrupt_lines)} unreadable lines)" if scan.corrupt_lines else ""
        raise UsageError(f"{path} holds no graph-batch runs: empty or not an audit log{bad}")
    if all_runs:
        chosen = run_ids
    elif run_id is None:
        chosen = run_ids[-1:]
    elif run_id in run_ids:
        chosen = [run_id]
    else:
        recent = ", ".join(run_ids[-5:])
        raise UsageError(f"run {run_id!r} is not in {path}; its latest runs are: {recent}")
    summaries = {chosen_id: RunSummary(chosen_id) for chosen_id in chosen}
    for _, record in scan:
        if record.run_id in summaries:
            summaries[record.run_id].add(record)
    return AuditReport(
        path=path,
        runs=list(summaries.values()),
        corrupt_lines=tuple(scan.corrupt_lines),
        truncated_tail=scan.truncated_tail,
    )
