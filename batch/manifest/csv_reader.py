"""Read a CSV manifest into records, streaming: one row in memory at a time.

The header names the columns (any order; unused ones may be absent). Column names are matched
without regard to case, surrounding spaces, or `-`/space written for `_` (`Event ID`), as
spreadsheets produce them. Empty columns at the end of the header, as Excel leaves behind, are
ignored while their cells are empty. An empty cell means "not given". Rows whose cells are all
empty are skipped. Line numbers are the ones a spreadsheet shows: the header is line 1, and a
record whose quoted field spans lines is reported at the line where it starts. In a failures CSV
(it has the `error_code` and `error_message` columns) the `'` graph-batch put before a cell a
spreadsheet would run as a formula is removed (`batch.safe_text.csv_cell_read`).
"""

from __future__ import annotations

import csv
from collections.abc import Iterator

from batch.manifest.problems import Problem
from batch.manifest.source import LineSource
from batch.manifest.values import (
    KNOWN_FIELDS,
    LABEL_PREFIX,
    RESULT_COLUMNS,
    Header,
    Record,
    is_ignored,
)
from batch.operations import FIELD_NAMES, FieldProblem
from batch.safe_text import csv_cell_read
from batch.wording import shown, suggest

REQUIRED_COLUMNS = ("op", "event_id")
_FIELD_TOO_LARGE = "field larger than field limit"
"""csv's error for a cell over `csv.field_size_limit()` (131,072 characters by default)."""
_OTHER_DELIMITERS = {";": "semicolon", "\t": "tab", "|": "pipe"}
_NO_COMMENTS = "a CSV manifest has no comment lines: delete the line, or put notes in an x- column"


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
    columns, width = header
    yield Header(columns)
    # A file with the error columns is a failures CSV graph-batch wrote, formulas guarded.
    guarded = set(columns) >= RESULT_COLUMNS
    while True:
        start = source.line + 1
        try:
            cells = next(rows)
        except StopIteration:
            return
        except csv.Error as exc:
            if _FIELD_TOO_LARGE in str(exc):
                # The parser is lost inside an unclosed quote: nothing after it can be trusted,
                # and reading on would scan the rest of a possibly huge file.
                yield Problem(name, start, None, _csv_error(exc))
                return
            yield Record(start, {}, (FieldProblem(None, _csv_error(exc)),))
            continue
        if not any(cells):
            continue
        problem = _check_width(cells, len(columns), width)
        if problem is not None:
            yield Record(start, {}, (problem,))
            continue
        if guarded:
            cells = [csv_cell_read(cell) for cell in cells]
        yield Record(start, {col: cell for col, cell in zip(columns, cells, strict=False) if cell})


def canonical_column(name: str) -> str:
    """The column `name` means: `OP`, ` Event ID ` and `event-id` all mean `event_id`."""
    name = name.strip()
    lowered = name.lower()
    spelled = lowered.replace(" ", "_").replace("-", "_")
    if spelled in KNOWN_FIELDS or spelled in RESULT_COLUMNS:
        return spelled
    if lowered.startswith(LABEL_PREFIX):
        return LABEL_PREFIX + name[len(LABEL_PREFIX) :]
    return name


def _read_header(
    name: str, source: LineSource, rows: Iterator[list[str]]
) -> tuple[tuple[str, ...], int] | Problem:
    """The named columns and the header's full width (with trailing empty columns)."""
    try:
        cells = next(rows, None)
    except csv.Error as exc:
        return Problem(name, 1, None, f"header: {_csv_error(exc)}")
    if cells is None:
        return Problem(name, None, None, "file is empty (expected a header row and operations)")
    width = len(cells)
    while cells and not cells[-1].strip():
        cells.pop()
    columns = tuple(canonical_column(cell) for cell in cells)
    problem = _check_columns(name, source.line, columns)
    return problem or (columns, width)


def _check_columns(name: str, line: int, columns: tuple[str, ...]) -> Problem | None:
    misread = _not_a_header(columns)
    if misread:
        return Problem(name, line, None, f"header: {misread}")
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


def _not_a_header(columns: tuple[str, ...]) -> str | None:
    """Why the first row is no comma-separated header (a comment, another separator), if so."""
    if columns and columns[0].startswith("#"):
        return f"the first line must be the header; {_NO_COMMENTS}"
    if len(columns) != 1:
        return None
    for delimiter, label in _OTHER_DELIMITERS.items():
        names = {canonical_column(part) for part in columns[0].split(delimiter)}
        if "op" in names or "event_id" in names:
            return (
                f"the file looks {label}-separated; save it comma-separated "
                "(in Excel: 'CSV UTF-8 (Comma delimited)')"
            )
    return None


def _check_width(cells: list[str], named: int, width: int) -> FieldProblem | None:
    """A row may stop after the named columns, or fill the header's empty trailing ones."""
    if cells[0].startswith("#") and len(cells) != named:
        return FieldProblem(None, _NO_COMMENTS)
    if not named <= len(cells) <= width:
        expected = f"{named}" if named == width else f"{named} to {width}"
        return FieldProblem(None, f"row has {_fields(len(cells))} but the header has {expected}")
    stray = next((n for n in range(named, len(cells)) if cells[n].strip()), None)
    if stray is not None:
        return FieldProblem(
            None,
            f"column {stray + 1} has no name in the header but holds {shown(cells[stray])}: "
            "name the column or empty the cell",
        )
    return None


def _fields(count: int) -> str:
    return f"{count} field" if count == 1 else f"{count} fields"


def _csv_error(exc: csv.Error) -> str:
    text = str(exc)
    if _FIELD_TOO_LARGE in text:
        return (
            f"field too large (over {csv.field_size_limit():,} characters; "
            "an unclosed quote can cause this)"
        )
    if "new-line character seen in unquoted field" in text:
        return (
            "line breaks are a bare CR (classic Mac format): save the file with Windows (CRLF) "
            "or Unix (LF) line endings"
        )
    return f"not valid CSV: {text}"
