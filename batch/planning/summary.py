"""The plan summary people read: counts per op and classification, rows needing attention, time."""

from __future__ import annotations

from rich.console import RenderableType
from rich.text import Text

from batch.display.tables import RowLine, count, counts_table, rows, rows_table, target_text
from batch.durations import format_duration
from batch.http.pacing import estimated_seconds
from batch.planning.classify import NEEDS_ATTENTION, Classification, PlanRow
from batch.planning.tally import PlanTally
from batch.settings import RateLimit


def _row_line(row: PlanRow) -> RowLine:
    answer = " ".join(str(part) for part in (row.status, row.error_code) if part is not None)
    return RowLine(
        row=row.line,
        op=row.op,
        target=target_text(row.target),
        error=answer and f"HTTP {answer}",
        reason=f"{row.classification.value}: {row.detail}" if row.detail else row.classification,
    )


def render_summary(tally: PlanTally, write_limit: RateLimit) -> list[RenderableType]:
    """Rows per op and classification, rows needing attention, and the run's estimated time."""
    # `unknown` only when there are some: the usual five fit a 70-column terminal.
    columns = [
        c.value for c in Classification if c is not Classification.UNKNOWN or tally.counts[c]
    ]
    parts: list[RenderableType] = [
        Text(""),
        counts_table(
            {op: {c.value: n for c, n in counts.items()} for op, counts in tally.by_op.items()},
            columns,
            totals={c.value: n for c, n in tally.counts.items()},
            title="graph-batch plan summary",
        ),
    ]
    if tally.attention:
        flagged = sum(tally.counts[c] for c in NEEDS_ATTENTION)
        shown = len(tally.attention)
        more = f", first {shown} shown" if shown < flagged else ""
        title = f"Rows that need attention ({count(flagged)}{more})"
        parts.append(rows_table([_row_line(row) for row in tally.attention], title=title))
        if shown < flagged:
            parts.append(Text(f"... and {count(flagged - shown)} more (see the plan file)"))
    unknown = tally.counts[Classification.UNKNOWN]
    if unknown:
        parts.append(
            Text(
                f"{rows(unknown)} unknown: this token may not list a registration's sessions, "
                "so whether each session is still on its registration cannot be read; the run "
                "sends them and settles each by its answer (404: already done)."
            )
        )
    writes = tally.will_apply_writes
    seconds = estimated_seconds(writes, write_limit)
    parts.append(
        Text(
            f"{count(writes)} write(s) would be sent; at {write_limit} that takes at least "
            f"{format_duration(seconds)}."
        )
    )
    return parts
