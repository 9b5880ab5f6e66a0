"""`--failures-csv PATH`: the rows left undone as a manifest that `run` accepts as it is.

Undone means failed, not run because the run stopped early (deadline, Ctrl-C, refused token),
or left out by `--plan` as not-found, forbidden or error; `reason` says which. Rows keep the
input's own columns in the input's order (for a YAML manifest: the standard columns plus every
`x-` label), then the label `x-source-line` (`FILE:LINE` of the row in the first manifest it
came from), then `error_code`, `error_message` and `reason`. The manifest loader ignores those
three, so the file feeds straight back into `run`; a file fed back keeps a single set, replaced
by the newest, and its rows keep their first `x-source-line`. A UTF-8 BOM is written when the
input had one, so Excel opens the file the way it opened the input.

The file is written to a temporary name beside it and renamed into place when the run ends, so
a reader never sees half a file. It is created only when at least one row failed; otherwise a
file left by an earlier run is removed, so its presence always means "these rows failed last
time". Mode 0600: registration emails are personal data.
"""

from __future__ import annotations

import contextlib
import csv
import os
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import TextIO

from batch.errors import GraphBatchError, UsageError
from batch.operations import FIELD_NAMES

ERROR_COLUMNS: tuple[str, ...] = ("error_code", "error_message", "reason")
"""The columns added to each row; the manifest loader ignores them on input."""
SOURCE_COLUMN = "x-source-line"
"""The label column saying where a row came from (`FILE:LINE`), kept across re-runs."""
LABEL_PREFIX = "x-"


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
            fd, name = tempfile.mkstemp(
                prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent
            )
        except OSError as exc:
            raise UsageError(f"cannot write failures CSV {self.path}: {exc.strerror}") from exc
        self._temp = Path(name)
        # errors="replace": a lone surrogate in a server's error message must not stop the run.
        self._stream = os.fdopen(fd, "w", encoding=self._encoding, errors="replace", newline="")
        self._writer = csv.DictWriter(self._stream, fieldnames=self.columns, restval="")
        self._writer.writeheader()
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
        self._writer.writerow(row)
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
                self.path.unlink(missing_ok=True)
        except OSError as error:
            with contextlib.suppress(OSError):
                temp.unlink()
            raise GraphBatchError(
                f"cannot write failures CSV {self.path}: {error.strerror}"
            ) from error
