"""The one table helper `run`, `plan` and `report` print their counts and rows with.

Same op order (the manifest documentation's), same column names (the outcome or classification
values, as in the audit log and plan.json), thousands separators, outcome colours.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from rich import box
from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from batch.audit.records import OpFinished
from batch.display.terminal import STYLES
from batch.operations import OP_NAMES


def op_order(ops: Iterable[str]) -> list[str]:
    """`ops` in the documented order (cancel, remove-session, ...), unknown ones after, sorted."""
    known = [op for op in OP_NAMES if op in set(ops)]
    return known + sorted(set(ops) - set(OP_NAMES))


def count(value: int) -> str:
    """`12,345`: every count people read, with thousands separators."""
    return f"{value:,}"


def rows(value: int) -> str:
    """`1 row`, `12,345 rows`."""
    return f"{count(value)} row{'' if value == 1 else 's'}"


def _table(*, footer: bool = False) -> Table:
    return Table(
        show_footer=footer,
        # One space between columns (the box's divider): a plan's six columns fit 70 columns.
        padding=(0, 0),
        box=box.SIMPLE,
        pad_edge=False,
        show_edge=False,
        header_style="bold",
    )


def counts_table(
    by_op: Mapping[str, Mapping[str, int]],
    columns: Sequence[str],
    *,
    totals: Mapping[str, int] | None = None,
    title: str | None = None,
) -> RenderableType:
    """Rows per op and column (outcome or classification), a `total` row when `totals` given."""
    table = _table(footer=totals is not None)
    # Narrow terminals fold the op names, never the column names or the counts.
    table.add_column("op", footer="total", overflow="fold")
    for column in columns:
        table.add_column(
            Text(column, style=STYLES.get(column, "")),
            justify="right",
            no_wrap=True,
            footer=_cell(column, totals.get(column, 0)) if totals is not None else "",
        )
    for op in op_order(by_op):
        table.add_row(op, *(_cell(column, by_op[op].get(column, 0)) for column in columns))
    # A table's own title is padded to the table's width: a line of its own is not.
    return Group(Text(title, style="bold"), table) if title else table


def _cell(column: str, value: int) -> Text:
    return Text(count(value), style=STYLES.get(column, "") if value else "dim")


@dataclass(frozen=True)
class RowLine:
    """One row to list: a failed run row, or a plan row that needs attention."""

    row: int
    op: str
    target: str
    error: str
    reason: str


def finished_line(record: OpFinished) -> RowLine:
    """How a failed (or any finished) row of the audit log is listed."""
    return RowLine(
        row=record.row,
        op=record.op,
        target=target_text(record.target),
        error=error_text(record.error_code, record.error_message),
        reason=record.reason or "",
    )


def rows_table(rows: Sequence[RowLine], *, title: str) -> Group:
    """The listed rows, one block each (a table of long ids is unreadable at 70 columns):

    `row 12  cancel  reason`, then, indented, `code: message` and the target's ids.
    """
    blocks: list[RenderableType] = [Text(""), Text(title, style="bold")]
    for line in rows:
        head = Text("  row ")
        head.append(str(line.row), style="bold")
        head.append(f"  {line.op}")
        if line.reason:
            head.append(f"  {line.reason}", style="yellow")
        blocks.append(head)
        if line.error:
            blocks.append(Padding(Text(line.error, style="red"), (0, 0, 0, 4), expand=False))
        blocks.append(Padding(Text(line.target, style="dim"), (0, 0, 0, 4), expand=False))
    return Group(*blocks)


def target_text(target: Mapping[str, str]) -> str:
    """`event_id=e1 registration_id=r7`: a row's ids on one line (event_type left out)."""
    return " ".join(f"{name}={value}" for name, value in target.items() if name != "event_type")


def error_text(code: str | None, message: str | None) -> str:
    """`code: message` on one line, whichever parts there are."""
    flat = " ".join((message or "").split())
    return ": ".join(part for part in (code, flat) if part)
