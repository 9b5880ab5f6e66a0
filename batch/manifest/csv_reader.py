"""Read a CSV manifest into records, streaming: one row in memory at a time.

The header names the columns (any order; unused ones may be absent). An empty cell means "not
given". Rows whose cells are all empty are skipped, as spreadsheets often leave them behind.
Line numbers are the ones a spreadsheet shows: the header is line 1, and a record whose quoted
field spans lines is reported at the line where it starts.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator

from batch.manifest.convert import suggest
from batch.manifest.problems import Problem
from batch.manifest.source import LineSource
from batch.manifest.values import KNOWN_FIELDS, FieldProblem, Header, Record, is_ignored
from batch.operations import FIELD_NAMES

REQUIRED_COLUMNS = ("op", "event_id")


def read_csv(name: str, source: LineSource) -> Iterator[Header | Record | Problem]:
    """Yield the header, then one record per data row; a `Problem` for what is unusable.

    A problem with the header or the file's bytes ends the reading (nothing after it can be
    trusted); a problem with one row is attached to that row's record and reading goes on.
    """
    rows = csv.reader(source, strict=True)
    header = _read_header(name, source, rows)
    if isinstance(header, Problem):
        yield header
        return
    yield header
    columns = header.columns
    while True:
        start = source.line + 1
        try:
            cells = next(rows)
        except StopIteration:
            return
        except csv.Error as exc:
            yield Record(start, {}, (FieldProblem(None, _csv_error(exc)),))
            continue
        if not any(cells):
            continue
        if len(cells) != len(columns):
            problem = FieldProblem(
                None, f"row has {len(cells)} fields but the header has {len(columns)}"
            )
            yield Record(start, {}, (problem,))
            continue
        yield Record(start, {col: cell for col, cell in zip(columns, cells, strict=True) if cell})


def _read_header(name: str, source: LineSource, rows: Iterator[list[str]]) -> Header | Problem:
    try:
        cells = next(rows, None)
    except csv.Error as exc:
        return Problem(name, 1, None, f"header: {_csv_error(exc)}")
    if cells is None:
        return Problem(name, None, None, "file is empty (expected a header row and operations)")
    columns = tuple(cell.strip() for cell in cells)
    problem = _check_columns(name, source.line, columns)
    return problem or Header(columns)


def _check_columns(name: str, line: int, columns: tuple[str, ...]) -> Problem | None:
    seen: set[str] = set()
    for number, column in enumerate(columns, start=1):
        if not column:
            return Problem(name, line, None, f"header: column {number} has no name")
        if column in seen:
            return Problem(name, line, column, "duplicate column in the header")
        if column not in KNOWN_FIELDS and not is_ignored(column):
            return Problem(
                name,
                line,
                column,
                f"unknown column (expected {', '.join(FIELD_NAMES)}, "
                f"or a label column starting with x-){suggest(column, FIELD_NAMES)}",
            )
        seen.add(column)
    missing = [column for column in REQUIRED_COLUMNS if column not in seen]
    if missing:
        return Problem(name, line, None, f"header: missing required column {missing[0]!r}")
    return None


def _csv_error(exc: csv.Error) -> str:
    text = str(exc)
    if "field larger than field limit" in text:
        return (
            f"field too large (over {csv.field_size_limit():,} characters; "
            "an unclosed quote can cause this)"
        )
    return f"not valid CSV: {text}"
