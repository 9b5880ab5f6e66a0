"""Stream an audit log back as typed records, tolerating what a crash leaves behind.

A run killed mid-write leaves a truncated last line, and hands or tools may add blank lines;
neither may stop a report or a resume. Bad lines are skipped and their numbers kept so callers
can say which. Lines are read one at a time, each at most `MAX_RECORD_BYTES`: memory stays flat
however long the log or any one line grows (a longer line is a corrupt line, skipped unread),
and a file whose first line holds NUL bytes is refused as binary, not an audit log.
Fields a newer graph-batch added are dropped before validation (the schema only ever adds
fields), and events this version does not know are passed over.
"""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from pydantic import ValidationError

from batch.audit.records import (
    AuditRecord,
    OpAttempt,
    OpFinished,
    OpSending,
    RunFinished,
    RunStarted,
)
from batch.errors import UsageError

MAX_RECORD_BYTES = 1 << 20
"""The longest audit-log line read: 1 MiB, hundreds of times a real record. A longer line is
corrupt (skipped without being held in memory), as the manifest's `MAX_LINE_BYTES` bounds it."""

_MODELS: dict[str, type[AuditRecord]] = {
    "run.started": RunStarted,
    "op.sending": OpSending,
    "op.attempt": OpAttempt,
    "op.finished": OpFinished,
    "run.finished": RunFinished,
}


def parse_record(data: Any) -> AuditRecord | None:
    """One decoded line as a record; None for an event this version does not know.

    Raises ValueError when the line is not an audit record at all.
    """
    if not isinstance(data, dict) or not isinstance(data.get("event"), str):
        raise ValueError("not an audit record (no `event` field)")
    model = _MODELS.get(data["event"])
    if model is None:
        return None
    known = {name: value for name, value in data.items() if name in model.model_fields}
    try:
        return model.model_validate(known)
    except ValidationError as exc:
        raise ValueError(f"invalid {data['event']} record: {exc.error_count()} error(s)") from exc


def _bounded_lines(stream: IO[bytes]) -> Iterator[tuple[bytes, bool]]:
    """Each line of `stream` as `(line, whole)`; one longer than `MAX_RECORD_BYTES` comes as
    `(its first MAX_RECORD_BYTES bytes, False)`.

    The rest of an over-long line is then read in bounded chunks and dropped (only if the
    caller reads on), so no line is ever held whole.
    """
    while raw := stream.readline(MAX_RECORD_BYTES + 1):
        if len(raw) <= MAX_RECORD_BYTES:
            yield raw, True
            continue
        yield raw[:MAX_RECORD_BYTES], False
        while raw and not raw.endswith(b"\n"):
            raw = stream.readline(MAX_RECORD_BYTES)


def _not_an_audit_log(path: Path, why: str) -> UsageError:
    return UsageError(
        f"{path} is not a graph-batch audit log ({why}): refused, and left as it is; name a "
        "new file or an existing audit log"
    )


def check_is_audit_log(path: Path) -> None:
    """UsageError (exit 2) when `path` exists, is not empty and its line 1 is no audit record.

    Run before an audit log is opened for appending or resumed from, so a notes file, a CSV or
    a binary file is never appended to, nor its mode changed. A missing or empty file passes.
    """
    try:
        if not stat.S_ISREG(path.stat().st_mode):
            return  # /dev/stdout, a pipe (never opened here: that would wait for a writer).
        with path.open("rb") as stream:
            first, whole = next(_bounded_lines(stream), (b"", True))
    except FileNotFoundError:
        return
    except OSError as exc:
        raise UsageError(f"cannot read audit log {path}: {exc.strerror}") from exc
    if not first:
        return
    if b"\0" in first:
        raise _not_an_audit_log(path, "line 1 holds NUL bytes: a binary file")
    if not whole:
        raise _not_an_audit_log(path, f"line 1 is longer than {MAX_RECORD_BYTES:,} bytes")
    try:
        data = json.loads(first.decode("utf-8"))
    except ValueError:
        raise _not_an_audit_log(path, "line 1 is not JSON") from None
    if not isinstance(data, dict) or not isinstance(data.get("event"), str):
        raise _not_an_audit_log(path, "line 1 has no `event` field")


@dataclass
class AuditLogScan:
    """Iterate `(line_number, record)` over a log; afterwards `corrupt_lines` lists the skipped.

    `truncated_tail` is set when the last line was cut off mid-write (no final newline and not
    valid JSON): the signature of a crash, not of tampering. UsageError (exit 2) when the file
    cannot be read, or is binary (NUL bytes on its first line).
    """

    path: Path
    corrupt_lines: list[int] = field(default_factory=list)
    truncated_tail: bool = False

    def __iter__(self) -> Iterator[tuple[int, AuditRecord]]:
        self.corrupt_lines.clear()
        self.truncated_tail = False
        try:
            with self.path.open("rb") as stream:
                yield from self._records(_bounded_lines(stream))
        except OSError as exc:
            raise UsageError(f"cannot read audit log {self.path}: {exc.strerror}") from exc

    def _records(self, lines: Iterator[tuple[bytes, bool]]) -> Iterator[tuple[int, AuditRecord]]:
        for number, (raw, whole) in enumerate(lines, start=1):
            if number == 1 and b"\0" in raw:
                raise _not_an_audit_log(self.path, "line 1 holds NUL bytes: a binary file")
            if not raw.strip():
                continue
            try:
                if not whole:  # Corrupt, however it ends: not a crash's cut-off last line.
                    self.corrupt_lines.append(number)
                    self.truncated_tail = False
                    continue
                record = parse_record(json.loads(raw.decode("utf-8")))
            except ValueError:  # JSONDecodeError and UnicodeDecodeError are ValueErrors too.
                self.corrupt_lines.append(number)
                self.truncated_tail = not raw.endswith(b"\n")
                continue
            if record is not None:
                yield number, record
