"""Counting plan rows, estimating the run they imply, and the summary table people read."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from batch.durations import format_duration
from batch.http.pacing import estimated_seconds
from batch.jobctl.guard import is_destructive
from batch.operations import OP_NAMES
from batch.planning.classify import NEEDS_ATTENTION, WILL_SEND, Classification, PlanRow
from batch.settings import RateLimit

MAX_LISTED = 20
"""The summary lists at most this many rows that need attention (plan.json has them all)."""


@dataclass
class PlanTally:
    """Rows per classification and per (op, classification), filled one row at a time."""

    counts: Counter[Classification] = field(default_factory=Counter)
    by_op: dict[str, Counter[Classification]] = field(default_factory=dict)
    attention: list[PlanRow] = field(default_factory=list)
    """The first `MAX_LISTED` rows that are not-found, forbidden or error."""

    def add(self, row: PlanRow) -> None:
        """Count one row."""
        self.counts[row.classification] += 1
        self.by_op.setdefault(row.op, Counter())[row.classification] += 1
        if row.classification in NEEDS_ATTENTION and len(self.attention) < MAX_LISTED:
            self.attention.append(row)

    @property
    def total(self) -> int:
        """Rows counted."""
        return sum(self.counts.values())

    @property
    def will_apply_writes(self) -> int:
        """Rows a run would send as a write (reads that "apply" are not writes)."""
        return sum(n[c] for op, n in self.by_op.items() if is_destructive(op) for c in WILL_SEND)

    @property
    def needs_attention(self) -> bool:
        """Whether any row is not-found, forbidden or error (plan exits 1)."""
        return any(self.counts[c] for c in NEEDS_ATTENTION)

    def counts_json(self) -> dict[str, int]:
        """Every classification with its count (zeros included), for plan.json."""
        return {c.value: self.counts[c] for c in Classification}

    def by_op_json(self) -> dict[str, dict[str, int]]:
        """Non-zero counts per op, for plan.json."""
        return {
            op: {c.value: n for c, n in counts.items() if n}
            for op, counts in sorted(self.by_op.items())
        }


def describe_row(row: PlanRow, manifest: str) -> str:
    """`FILE:LINE: op classification (detail; HTTP status code)` for one row."""
    answer = " ".join(str(part) for part in (row.status, row.error_code) if part is not None)
    why = "; ".join(part for part in (row.detail, answer and f"HTTP {answer}") if part)
    return f"{manifest}:{row.line}: {row.op} {row.classification.value} ({why})"


def render_summary(tally: PlanTally, write_limit: RateLimit, manifest: str = "") -> str:
    """Rows per op and classification, rows needing attention, and the run's estimated time."""
    columns = list(Classification)
    width = max(len(c.value) for c in columns)
    header = f"{'op':<20}" + "".join(f"{c.value:>{width + 2}}" for c in columns)
    lines = [header, "-" * len(header)]
    ops = [op for op in OP_NAMES if op in tally.by_op]
    for op in ops:
        counts = tally.by_op[op]
        lines.append(f"{op:<20}" + "".join(f"{counts[c]:>{width + 2},}" for c in columns))
    lines.append(f"{'total':<20}" + "".join(f"{tally.counts[c]:>{width + 2},}" for c in columns))
    if tally.attention:
        lines += ["", "Rows that need attention:"]
        lines += [f"  {describe_row(row, manifest)}" for row in tally.attention]
        hidden = sum(tally.counts[c] for c in NEEDS_ATTENTION) - len(tally.attention)
        if hidden:
            lines.append(f"  ... and {hidden:,} more (see the plan file)")
    unknown = tally.counts[Classification.UNKNOWN]
    if unknown:
        lines += [
            "",
            f"{unknown:,} row(s) unknown: this token may not list a registration's sessions, "
            "so whether each session is still on its registration cannot be read; the run "
            "sends them and settles each by its answer (404: already done).",
        ]
    writes = tally.will_apply_writes
    seconds = estimated_seconds(writes, write_limit)
    lines.append("")
    lines.append(
        f"{writes:,} write(s) would be sent; at {write_limit} that takes at least "
        f"{format_duration(seconds)}."
    )
    return "\n".join(lines)
