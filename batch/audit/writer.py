"""The audit log writer: typed records -> one redacted JSON line each, flushed as written.

A dedicated structlog logger (never the global configuration, which the host program owns)
renders each record, masking anything token-shaped on the way (a last line of defence: records
are built without secrets in the first place). The file is opened append-only through
`batch.files.private`, so a second run on the same path adds to it, it is created 0600, an
existing one readable by others is tightened to 0600 (`tightened_from` says so), a symlinked
audit log is refused rather than followed to whatever it points at, and an existing file that
is not an audit log (a notes file, a binary) is refused before anything of it changes.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
from collections.abc import MutableMapping
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TextIO, cast

import structlog

from batch.audit.reader import check_is_audit_log
from batch.audit.records import AuditRecord
from batch.auth.redact import MASK, is_secret_key
from batch.errors import GraphBatchError, UsageError
from batch.files.identity import FileIdentity, fd_identity
from batch.files.private import SymlinkRefusedError, describe, open_private
from batch.safe_text import json_safe

_FIRST_KEYS = ("ts", "event", "run_id")


class AuditWriteError(GraphBatchError):
    """A record could not be written (full disk...): the run stops, exit 1."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"cannot write the audit log {path}: {reason}; the run stopped")
        self.reason = reason


def _mask_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            key: MASK if is_secret_key(str(key)) else _mask_keys(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_mask_keys(item) for item in value]
    return value


def mask_secret_keys(
    _logger: object, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog processor: mask values under secret-named keys in nested maps (labels...).

    Top-level keys are the schema's own and never name a secret.
    """
    for key, value in event_dict.items():
        if isinstance(value, dict | list):
            event_dict[key] = _mask_keys(value)
    return event_dict


def redact_line(_logger: object, _method: str, line: Any) -> str:
    """structlog processor after rendering: mask secrets, escape control characters, anywhere.

    One pass over the finished line (`batch.safe_text.json_safe`) is several times cheaper than
    one per field, and it keeps the line the same valid JSON.
    """
    return json_safe(str(line))


def order_keys(
    _logger: object, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog processor: `ts`, `event`, `run_id` first, so lines read well in a terminal."""
    head = {key: event_dict[key] for key in _FIRST_KEYS if key in event_dict}
    return head | {key: value for key, value in event_dict.items() if key not in head}


def _dumps(obj: Any, **kwargs: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), **kwargs)


def _ends_mid_line(path: Path) -> bool:
    """Whether the file's last line lacks its newline (a run killed in the middle of a write)."""
    with path.open("rb") as stream:
        if not stat.S_ISREG(os.fstat(stream.fileno()).st_mode):
            return False  # /dev/stdout, a pipe: nothing to look back at.
        if stream.seek(0, os.SEEK_END) == 0:
            return False
        stream.seek(-1, os.SEEK_END)
        return stream.read(1) != b"\n"


class AuditWriter:
    """Appends audit records to a JSON-lines file; every write is flushed before it returns.

    `write` is synchronous on purpose: with no await point inside, a cancelled task cannot
    interrupt a record half-way, which is what `asyncio.shield` would otherwise be for.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.tightened_from: int | None = None
        """The loose mode an existing log had before it was tightened to 0600, if it had one."""
        self._file: TextIO | None = None
        self._log: Any = None
        self._started = False

    @property
    def identity(self) -> FileIdentity:
        """The identity of the open log: what the job's lock is keyed on."""
        if self._file is None:
            raise RuntimeError("AuditWriter used outside `with`")
        return fd_identity(self._file.fileno())

    def __enter__(self) -> Self:
        if not self.path.is_symlink():  # A symlink is refused below, without reading it.
            check_is_audit_log(self.path)  # Before `open_private` tightens its mode.
        try:
            opened = open_private(self.path, append=True)
        except SymlinkRefusedError as exc:
            raise UsageError(
                f"the audit log {self.path} is a symbolic link: refused, as records would go to "
                "whatever it points at; give the real file's path"
            ) from exc
        except OSError as exc:
            raise UsageError(f"cannot open the audit log {self.path}: {describe(exc)}") from exc
        self.tightened_from = opened.tightened_from
        self._file = cast(TextIO, os.fdopen(opened.fd, "a", encoding="utf-8"))
        self._log = structlog.wrap_logger(
            structlog.WriteLogger(self._file),
            processors=[
                mask_secret_keys,
                order_keys,
                structlog.processors.JSONRenderer(_dumps),
                redact_line,
            ],
            # Explicit, so the global configuration (e.g. a level filter) never applies here.
            wrapper_class=structlog.BoundLogger,
            context_class=dict,
            cache_logger_on_first_use=False,
        )
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._file is not None:
            # Every line was flushed by `write`, which reported any failure; a close that
            # fails on a line `write` already reported must not hide that first error.
            with contextlib.suppress(OSError):
                self._file.close()
            self._file = None

    def write(self, record: AuditRecord) -> None:
        """Append `record` as one line and flush it."""
        if self._log is None:
            raise RuntimeError("AuditWriter used outside `with`")
        fields = record.model_dump(mode="json")
        try:
            if not self._started and self._file is not None and _ends_mid_line(self.path):
                # Close the cut-off line (only now, under the job's lock), or this run's first
                # record would be glued onto it and lost with it to every reader.
                self._file.write("\n")
            self._started = True
            self._log.msg(**fields)
        except OSError as exc:
            # Going on without a record of what was done is worse than stopping.
            raise AuditWriteError(self.path, describe(exc)) from exc
