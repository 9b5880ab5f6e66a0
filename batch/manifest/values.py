"""The values manifest reading produces: raw records from a reader, and checked entries."""

from __future__ import annotations

from dataclasses import dataclass, field

from batch.operations import FIELD_NAMES, FieldProblem, Operation

LABEL_PREFIX = "x-"
"""Columns/keys with this prefix are free-form labels carried into the audit log."""

KNOWN_FIELDS = frozenset(FIELD_NAMES)


RESULT_COLUMNS = frozenset({"error_code", "error_message", "reason"})
"""Columns a `--failures-csv` file adds; accepted on input so that file can be run again."""


def is_label(name: str) -> bool:
    """True for an `x-...` label column, which graph-batch carries but never interprets."""
    return name.startswith(LABEL_PREFIX) and len(name) > len(LABEL_PREFIX)


def is_ignored(name: str) -> bool:
    """True for a column that is carried along but never becomes part of an operation."""
    return is_label(name) or name in RESULT_COLUMNS


@dataclass(frozen=True)
class Location:
    """Where an operation is written: the line a spreadsheet or editor shows for it."""

    file: str
    line: int


@dataclass(frozen=True)
class Header:
    """The manifest's columns: a CSV header in file order, or the fields a YAML file used."""

    columns: tuple[str, ...]


@dataclass(frozen=True)
class Record:
    """One operation as a reader found it: its non-empty raw fields, not yet validated."""

    line: int
    fields: dict[str, str]
    problems: tuple[FieldProblem, ...] = ()


@dataclass(frozen=True)
class Entry:
    """One validated operation of a manifest, with where it came from."""

    location: Location
    index: int
    """0-based ordinal among the manifest's operations."""
    operation: Operation
    labels: dict[str, str] = field(default_factory=dict)
    """The `x-` columns, carried into the audit log."""
    fields: dict[str, str] = field(default_factory=dict)
    """The raw non-empty input fields (columns and labels), to write failures back out."""
