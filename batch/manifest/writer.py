"""Write rows back out as a CSV manifest, e.g. the rows that failed, in the input's columns."""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from batch.manifest.values import Entry


def write_csv(rows: Iterable[Entry | Mapping[str, str]], columns: Iterable[str], path: Path) -> int:
    """Write `rows` (entries or raw field mappings) under header `columns`; return rows written.

    Written to a temporary file and renamed, so a crash never leaves a half-written manifest
    that a later run would take for the whole list.
    """
    header = list(columns)
    partial = path.with_name(f".{path.name}.partial")
    count = 0
    with partial.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(header)
        for row in rows:
            fields = row.fields if isinstance(row, Entry) else row
            writer.writerow([fields.get(column, "") for column in header])
            count += 1
    os.replace(partial, path)
    return count
