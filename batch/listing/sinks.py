"""Where listed items go: a JSON array, CSV rows or a rich table on stdout, or a job manifest.

Every sink takes items one at a time; JSON, CSV and the manifest write each one at once, so
memory stays flat however long the list. Only the terminal table keeps its rows (its columns
are sized to them). A manifest is written to a temporary file beside its path and moved into
place only when the listing finished: a failed listing never leaves half a job behind, and an
existing file is never replaced without `--force` (not even one that appeared meanwhile).
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
from pathlib import Path
from typing import Protocol, TextIO

import yaml

from batch.errors import GraphBatchError, UsageError
from batch.files.private import describe, private_temp
from batch.listing.kinds import ListKind
from batch.listing.rows import SHOWN, Listed, manifest_columns, manifest_row

MANIFEST_SUFFIXES = (".csv", ".yaml", ".yml")


class Sink(Protocol):
    """Takes matched items one by one; `close(ok)` ends the output (ok: the listing finished)."""

    def add(self, listed: Listed) -> None:
        """Write (or keep) one matched item."""
        ...

    def close(self, *, ok: bool) -> None:
        """Finish the output; `ok` is False when the listing stopped early."""
        ...


class JsonSink:
    """One JSON array of the items as Graph returned them, each plus `event_type`."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._count = 0
        stream.write("[")

    def add(self, listed: Listed) -> None:
        """Append one item to the array."""
        self._stream.write(("," if self._count else "") + "\n  " + json.dumps(listed.as_json()))
        self._count += 1

    def close(self, *, ok: bool) -> None:
        """Close the array (also after a failure: what was listed stays readable JSON)."""
        self._stream.write("\n]\n" if self._count else "]\n")
        self._stream.flush()


class CsvSink:
    """CSV with a header: the kind's columns (`SHOWN`)."""

    def __init__(self, stream: TextIO, kind: ListKind) -> None:
        self._stream = stream
        self._writer = csv.DictWriter(stream, fieldnames=list(SHOWN[kind]), lineterminator="\n")
        self._writer.writeheader()

    def add(self, listed: Listed) -> None:
        """Write one row."""
        self._writer.writerow(listed.shown())

    def close(self, *, ok: bool) -> None:
        """Flush."""
        self._stream.flush()


class TableSink:
    """A rich table on a terminal, printed when the listing ends."""

    def __init__(self, stream: TextIO, kind: ListKind) -> None:
        self._stream = stream
        self._kind = kind
        self._rows: list[dict[str, str]] = []

    def add(self, listed: Listed) -> None:
        """Keep one row for the table."""
        self._rows.append(listed.shown())

    def close(self, *, ok: bool) -> None:
        """Print the table (what was listed, also after a failure)."""
        from rich.table import Table  # noqa: PLC0415 - rich only when a table is shown

        from batch.display.terminal import show  # noqa: PLC0415

        table = Table(header_style="bold")
        for column in SHOWN[self._kind]:
            # Ids are what a table is read for: fold them onto more lines, never cut them.
            table.add_column(column, overflow="fold" if column.endswith("_id") else "ellipsis")
        for row in self._rows:
            table.add_row(*row.values())
        # The one console policy: markup off (a display name like "[Internal] kickoff" is data),
        # and wide off a terminal, so a table in a file keeps one line per row.
        show(self._stream, table)


class Both:
    """Two sinks at once: a manifest, and the items printed as asked with `--format`."""

    def __init__(self, first: Sink, second: Sink) -> None:
        self._sinks = (first, second)

    def add(self, listed: Listed) -> None:
        """Give the item to both."""
        for sink in self._sinks:
            sink.add(listed)

    def close(self, *, ok: bool) -> None:
        """Close both (the second even when the first fails)."""
        try:
            self._sinks[0].close(ok=ok)
        finally:
            self._sinks[1].close(ok=ok)


class ManifestSink:
    """A job manifest (`.csv` or `.yaml`/`.yml`) of `op` on every matched item."""

    def __init__(
        self,
        path: Path,
        kind: ListKind,
        op: str,
        *,
        session_id: str | None = None,
        force: bool = False,
        comment: str = "",
    ) -> None:
        """Check the path and open the temporary file; UsageError (nothing sent) when unusable."""
        if path.suffix.lower() not in MANIFEST_SUFFIXES:
            raise UsageError(f"--out {path}: a manifest ends in .csv, .yaml or .yml")
        if os.path.lexists(path) and not force:
            raise UsageError(f"--out {path} exists; pass --force to replace it")
        self.path = path
        self.count = 0
        self._op, self._session_id, self._force = op, session_id, force
        self._yaml = path.suffix.lower() != ".csv"
        try:
            # 0600, beside the target: registration emails are personal data.
            fd, self._temp = private_temp(path)
        except OSError as exc:
            raise UsageError(f"cannot write {path}: {describe(exc)}") from exc
        self._stream = os.fdopen(fd, "w", encoding="utf-8", newline="")
        columns = manifest_columns(kind, session_id)
        self._csv = csv.DictWriter(self._stream, fieldnames=list(columns), lineterminator="\n")
        if self._yaml:
            self._stream.write(f"# {comment}\n" if comment else "")
            self._stream.write("version: 1\noperations:\n")
        else:
            self._csv.writeheader()

    def add(self, listed: Listed) -> None:
        """Write the row for one matched item."""
        row = manifest_row(listed, self._op, self._session_id)
        if self._yaml:
            present = {name: value for name, value in row.items() if value}
            self._stream.write(yaml.safe_dump([present], sort_keys=False, allow_unicode=True))
        else:
            self._csv.writerow(row)
        self.count += 1

    def close(self, *, ok: bool) -> None:
        """Move the file into place when the listing finished and matched something."""
        try:
            try:
                if ok and self.count:
                    self._stream.flush()
                    os.fsync(self._stream.fileno())
            finally:
                self._stream.close()
            if ok and self.count:
                self._place()
        except OSError as exc:
            raise GraphBatchError(f"cannot write {self.path}: {describe(exc)}") from exc
        finally:
            with contextlib.suppress(OSError):
                self._temp.unlink()

    def _place(self) -> None:
        if self._force:
            os.replace(self._temp, self.path)
            return
        try:
            os.link(self._temp, self.path)  # fails if the path appeared meanwhile
        except FileExistsError:
            raise UsageError(f"--out {self.path} appeared meanwhile; pass --force") from None
