"""Counting plan rows, estimating the run they imply, and the summary table people read."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from rich.console import RenderableType
from rich.text import Text

from batch.display.tables import RowLine, count, counts_table, rows_table, target_text
from batch.durations import format_duration
from batch.http.pacing import estimated_seconds
from batch.jobctl.guard import is_destructive
from batch.planning.classify import NEEDS_ATTENTION, Classification, PlanRow
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
        return sum(
            n[Classification.WILL_APPLY] for op, n in self.by_op.items() if is_destructive(op)
        )

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


def _row_line(row: PlanRow) -> RowLine:
    answer = " ".join(str(part) for part in (row.status, row.error_code) if part is not None)
    return RowLine(
        row=row.line,
        op=row.op,
        target=target_text(row.target),
        error=answer and f"HTTP {answer}",
        reason=f"{row.classification.value}: {row.detail}" if row.detail else row.classification,
    )


def render_summary(
    tally: PlanTally, write_limit: RateLimit, manifest: str = ""
) -> list[RenderableType]:
    """Rows per op and classification, rows needing attention, and the run's estimated time."""
    columns = [c.value for c in Classification]
    parts: list[RenderableType] = [
        counts_table(
            {op: {c.value: n for c, n in counts.items()} for op, counts in tally.by_op.items()},
            columns,
            totals={c.value: n for c, n in tally.counts.items()},
            title=f"graph-batch plan of {manifest}" if manifest else "graph-batch plan",
        )
    ]
    if tally.attention:
        flagged = sum(tally.counts[c] for c in NEEDS_ATTENTION)
        shown = len(tally.attention)
        more = f", first {shown} shown" if shown < flagged else ""
        title = f"Rows that need attention ({count(flagged)}{more})"
        parts.append(rows_table([_row_line(row) for row in tally.attention], title=title))
        if shown < flagged:
            parts.append(Text(f"... and {count(flagged - shown)} more (see the plan file)"))
    writes = tally.will_apply_writes
    seconds = estimated_seconds(writes, write_limit)
    parts.append(
        Text(
            f"{count(writes)} write(s) would be sent; at {write_limit} that takes at least "
            f"{format_duration(seconds)}."
        )
    )
    return parts
