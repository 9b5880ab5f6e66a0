"""`--failures-csv PATH`: the rows left undone as a manifest that `run` accepts as it is.

Undone means failed, not run because the run stopped early (deadline, Ctrl-C, refused token),
or left out by `--plan` as not-found, forbidden or error; `reason` says which. Rows keep the
input's own columns in the input's order (for a YAML manifest: the standard columns plus every
`x-` label), then the label `x-source-line` (`FILE:LINE` of the row in the first manifest it
came from), then `error_code`, `error_message` and `reason`. The manifest loader ignores those
three, so the file feeds straight back into `run`; a file fed back keeps a single set, replaced
by the newest, and its rows keep their first `x-source-line`. A UTF-8 BOM is written when the
input had one, so Excel opens the file the way it opened the input.

Cells are written for spreadsheets (`batch.safe_text.csv_cell`): secrets masked, control
characters escaped in labels and error columns (ids hold none: validation refuses them), and
a cell that would run as
a formula prefixed with `'`. The manifest reader removes that one `'` again from files carrying
the error columns, so the ids read back are the ids that failed.

The file is written to a temporary name beside it and renamed into place when the run ends, so
a reader never sees half a file. It is created only when at least one row failed; otherwise a
failures CSV this job left earlier (same header) is removed, so its presence means "these rows
failed last time". A file that is not a failures CSV is never replaced or removed: the run
refuses to start (exit 2). Mode 0600: registration emails are personal data.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import TextIO

from batch.errors import GraphBatchError, UsageError
from batch.files.private import check_replaceable, describe, private_temp
from batch.operations import FIELD_NAMES
from batch.safe_text import csv_cell, escape_controls

ERROR_COLUMNS: tuple[str, ...] = ("error_code", "error_message", "reason")
"""The columns added to each row; the manifest loader ignores them on input."""
_EARLIER_ERROR_COLUMNS: tuple[str, ...] = ("error_code", "error_message")
"""How failures CSVs ended before `reason` was added; such a file is still recognised."""
SOURCE_COLUMN = "x-source-line"
"""The label column saying where a row came from (`FILE:LINE`), kept across re-runs."""
LABEL_PREFIX = "x-"
_HEADER_LIMIT = 65536


def _existing_header(path: Path) -> tuple[str, ...] | None:
    """The header row of the regular file at `path`; None when there is none; OSError
    when something other than a regular file is there (`check_replaceable`)."""
    check_replaceable(path)
    if not path.exists():
        return None
    with path.open("rb") as stream:
        head = stream.read(_HEADER_LIMIT).decode("utf-8", errors="replace").lstrip("\ufeff")
    first = next(csv.reader(io.StringIO(head.partition("\n")[0])), [])
    return tuple(first)


def failure_columns(input_columns: Sequence[str]) -> tuple[str, ...]:
    """The failures CSV header: the input's columns (minus old added ones), source, errors."""
    added = (SOURCE_COLUMN, *ERROR_COLUMNS)
    kept = tuple(column for column in input_columns if column not in added)
    return (*kept, *added)


def yaml_columns(rows: Iterable[Mapping[str, str]]) -> tuple[str, ...]:
    """Input columns for a YAML manifest: the standard fields, then every `x-` label, sorted."""
    labels = {name for fields in rows for name in fields if name.startswith(LABEL_PREFIX)}
    return FIELD_NAMES + tuple(sorted(labels))


class FailuresCsvWriter:
    """`with FailuresCsvWriter(path, input_columns) as out: out.add(fields, code, message)`.

    Opening creates the temporary file, so an unwritable path fails (exit 2) before the run
    sends anything. Rows added before an interruption are still written on the way out.
    """

    def __init__(self, path: Path, input_columns: Sequence[str], *, bom: bool = False) -> None:
        self.path = path
        self._encoding = "utf-8-sig" if bom else "utf-8"
        self.columns = failure_columns(input_columns)
        self.count = 0
        self._temp: Path | None = None
        self._stream: TextIO | None = None
        self._writer: csv.DictWriter[str] | None = None

    def __enter__(self) -> FailuresCsvWriter:
        try:
            header = _existing_header(self.path)
            endings = (ERROR_COLUMNS, _EARLIER_ERROR_COLUMNS)
            if header and all(header[-len(end) :] != end for end in endings):
                raise UsageError(
                    f"--failures-csv {self.path} exists and is not a failures CSV (its header "
                    "does not end in error_code,error_message[,reason]): refusing to replace "
                    "it; give another path; nothing was sent"
                )
            fd, self._temp = private_temp(self.path)
        except OSError as exc:
            raise UsageError(f"cannot write failures CSV {self.path}: {describe(exc)}") from exc
        # errors="replace": a lone surrogate in a server's error message must not stop the run.
        self._stream = os.fdopen(fd, "w", encoding=self._encoding, errors="replace", newline="")
        self._writer = csv.DictWriter(self._stream, fieldnames=self.columns, restval="")
        self._writer.writeheader()
        try:
            self._stream.flush()  # A full disk shows now, before anything is sent.
        except OSError as exc:
            with contextlib.suppress(OSError):  # closing flushes again, failing again
                self._stream.close()
            self._temp.unlink(missing_ok=True)
            self._stream = self._writer = self._temp = None
            raise UsageError(f"cannot write failures CSV {self.path}: {describe(exc)}") from exc
        return self

    def add(
        self,
        fields: Mapping[str, str],
        error_code: str,
        error_message: str,
        *,
        reason: str = "",
        source: str = "",
    ) -> None:
        """Append one undone row: its raw input fields, where it came from, and why."""
        if self._writer is None:
            raise RuntimeError("FailuresCsvWriter.add() outside its `with` block")
        row = {column: fields.get(column, "") for column in self.columns}
        row[SOURCE_COLUMN] = fields.get(SOURCE_COLUMN) or source
        row.update(error_code=error_code, error_message=error_message, reason=reason)
        # Ids go out as they came in (validation refused control and bidi characters), so
        # they read back the same; labels and server text are escaped.
        self._writer.writerow(
            {
                column: csv_cell(value if column in FIELD_NAMES else escape_controls(value))
                for column, value in row.items()
            }
        )
        self.count += 1

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        stream, temp = self._stream, self._temp
        self._stream = self._writer = self._temp = None
        if stream is None or temp is None:
            return
        try:
            try:
                if self.count:
                    stream.flush()
                    os.fsync(stream.fileno())
            finally:
                stream.close()
            if self.count:
                os.replace(temp, self.path)
            else:
                temp.unlink()
                if exc_type is None:  # A run that never got going says nothing about rows.
                    self._remove_if_ours()
        except (OSError, UsageError) as error:
            with contextlib.suppress(OSError):
                temp.unlink()
            reason = describe(error) if isinstance(error, OSError) else error.message
            raise GraphBatchError(f"cannot write failures CSV {self.path}: {reason}") from error

    def _remove_if_ours(self) -> None:
        """Remove an earlier failures CSV of this job (same header, or the same before
        `x-source-line` and `reason` were added); leave anything else."""
        earlier = tuple(c for c in self.columns if c not in (SOURCE_COLUMN, "reason"))
        if _existing_header(self.path) in {self.columns, earlier}:
            self.path.unlink(missing_ok=True)
