"""Read a manifest file of either format into entries or problems, in one streaming pass.

`validate_manifest` never raises for bad content: every problem, whatever its kind (unreadable
file, wrong bytes, bad syntax, bad fields), becomes a `Problem`. `iter_entries` is the runner's
reader of a manifest already validated, and raises `ManifestError` at the first problem.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from batch.errors import ManifestError
from batch.manifest.convert import build_operation
from batch.manifest.csv_reader import read_csv
from batch.manifest.duplicates import DuplicateFinder
from batch.manifest.problems import Problem
from batch.manifest.source import LineSource, SourceError
from batch.manifest.values import Entry, Header, Location, Record, is_label
from batch.settings import ManifestSettings

Format = Literal["csv", "yaml", "unknown"]
MAX_LISTED = 100
"""A Validation keeps the first this many errors and warnings; counts cover all of them."""

_Reader = Callable[[str, LineSource], Iterator[Header | Record | Problem | ManifestSettings]]


def _read_yaml(
    name: str, source: LineSource
) -> Iterator[Header | Record | Problem | ManifestSettings]:
    # PyYAML is loaded only for YAML manifests: `validate` of a CSV starts faster without it.
    from batch.manifest.yaml_reader import read_yaml  # noqa: PLC0415

    return read_yaml(name, source)


_FORMATS: dict[str, tuple[Format, _Reader]] = {
    ".csv": ("csv", read_csv),
    ".yaml": ("yaml", _read_yaml),
    ".yml": ("yaml", _read_yaml),
}


@dataclass(frozen=True)
class Validation:
    """Everything `graph-batch validate` reports about one manifest file."""

    file: str
    format: Format
    sha256: str
    """Of the file's bytes ('' when it could not be read)."""
    settings: ManifestSettings
    columns: tuple[str, ...]
    errors: tuple[Problem, ...]
    """The first `MAX_LISTED` errors, in file order."""
    error_count: int
    warnings: tuple[Problem, ...]
    """The first `MAX_LISTED` warnings, in line order."""
    operation_count: int
    """Every operation in the file, valid or not."""
    counts_by_op: dict[str, int]
    """Valid operations per op."""
    duplicate_indexes: frozenset[int]
    """`Entry.index` of every operation that repeats an earlier one (same `operation.key`)."""
    warning_count: int = 0

    @property
    def ok(self) -> bool:
        """True when the manifest can be run (warnings allowed)."""
        return self.error_count == 0


@dataclass(frozen=True)
class _Invalid:
    """An operation record that did not validate."""

    problems: tuple[Problem, ...]


@dataclass
class _Reading:
    """One pass over a manifest file, yielding entries, invalid rows and file-level findings."""

    path: Path
    name: str = ""
    format: Format = "unknown"
    sha256: str = ""
    _problem_seen: bool = field(default=False, init=False)

    def __post_init__(self) -> None:
        self.name = self.name or str(self.path)

    def __iter__(self) -> Iterator[Entry | _Invalid | Problem | Header | ManifestSettings]:
        suffix = self.path.suffix.lower()
        if suffix not in _FORMATS:
            yield self._fatal(
                f"unsupported file type {suffix or '(no extension)'!r}: "
                "a manifest is .csv, .yaml or .yml"
            )
            return
        self.format, reader = _FORMATS[suffix]
        try:
            source = LineSource(self.path)
        except OSError as exc:
            yield self._fatal(f"cannot read the file: {exc.strerror or exc}")
            return
        with source:
            count = 0
            try:
                for item in reader(self.name, source):
                    if isinstance(item, Record):
                        yield self._entry(item, count)
                        count += 1
                    else:
                        self._problem_seen |= isinstance(item, Problem)
                        yield item
                self.sha256 = source.sha256()
            except SourceError as exc:
                yield self._fatal(exc.message, exc.line)
            except OSError as exc:
                yield self._fatal(f"cannot read the file: {exc.strerror or exc}")
        if count == 0 and not self._problem_seen:
            yield self._fatal("no operations: the manifest has nothing to do")

    def _entry(self, record: Record, index: int) -> Entry | _Invalid:
        found = record.problems or build_operation(record.fields)
        if isinstance(found, tuple):
            self._problem_seen = True
            return _Invalid(
                tuple(Problem(self.name, record.line, p.field, p.message) for p in found)
            )
        labels = {name: value for name, value in record.fields.items() if is_label(name)}
        location = Location(self.name, record.line)
        return Entry(location, index, found, labels, dict(record.fields))

    def _fatal(self, message: str, line: int | None = None) -> Problem:
        self._problem_seen = True
        return Problem(self.name, line, None, message)


def iter_entries(path: str | Path) -> Iterator[Entry]:
    """Stream the entries of a manifest already validated; raise `ManifestError` on a problem."""
    for item in _Reading(Path(path)):
        if isinstance(item, Entry):
            yield item
        elif isinstance(item, _Invalid | Problem):
            problem = item.problems[0] if isinstance(item, _Invalid) else item
            raise ManifestError(f"invalid manifest: {problem}")


def validate_manifest(path: str | Path) -> Validation:
    """Check a whole manifest in one streaming pass; every finding becomes a `Problem`."""
    reading = _Reading(Path(path))
    errors: list[Problem] = []
    error_count = 0
    counts: Counter[str] = Counter()
    operation_count = 0
    columns: tuple[str, ...] = ()
    settings = ManifestSettings()
    finder = DuplicateFinder()
    for item in reading:
        if isinstance(item, Entry | _Invalid):
            operation_count += 1
        if isinstance(item, Entry):
            counts[item.operation.op] += 1
            finder.add(item.operation.key, item.index, item.location.line)
        elif isinstance(item, Header):
            columns = item.columns
        elif isinstance(item, ManifestSettings):
            settings = item
        else:
            found = item.problems if isinstance(item, _Invalid) else (item,)
            error_count += len(found)
            errors.extend(found[: MAX_LISTED - len(errors)])
    repeats = list(finder.repeats())
    warnings = [
        Problem(reading.name, r.line, None, f"duplicate of line {r.first_line}", "warning")
        for r in heapq.nsmallest(MAX_LISTED, repeats, key=lambda repeat: repeat.line)
    ]
    return Validation(
        file=reading.name,
        format=reading.format,
        sha256=reading.sha256,
        settings=settings,
        columns=columns,
        errors=tuple(errors),
        error_count=error_count,
        warnings=tuple(warnings),
        operation_count=operation_count,
        counts_by_op=dict(counts),
        duplicate_indexes=frozenset(r.index for r in repeats),
        warning_count=len(repeats),
    )
