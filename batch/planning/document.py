"""plan.json: the versioned, reviewable record of a plan, written row by row.

One JSON object. Header fields first, then `rows` (one object per manifest row, in manifest
order), then the totals; it is written to a temporary file as rows arrive and renamed into place
at the end, so memory stays flat and a plan file that exists is always complete.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import IO, Literal, Self

from pydantic import BaseModel, ConfigDict

from batch.errors import UsageError
from batch.files.private import describe, private_temp
from batch.http.pacing import estimated_seconds
from batch.planning.classify import PlanRow
from batch.planning.tally import PlanTally
from batch.safe_text import json_safe, json_text
from batch.settings import RateLimit

PLAN_VERSION: Literal[1] = 1


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class PlanHeader(_Model):
    """What was planned, against what, when."""

    plan_version: Literal[1] = PLAN_VERSION
    manifest: str
    manifest_sha256: str
    created: datetime
    base_url: str
    api_version: str
    read_limit: str
    write_limit: str


class PlanDocument(PlanHeader):
    """A whole plan.json as read back."""

    rows: list[PlanRow]
    counts: dict[str, int]
    counts_by_op: dict[str, dict[str, int]]
    will_apply_writes: int
    estimated_write_seconds: float


class PlanWriter:
    """Streams a plan to `path` (atomically); `add` each row, then `finish` with the totals."""

    def __init__(self, path: Path, header: PlanHeader) -> None:
        self._path = path
        self._header = header
        self._file: IO[str] | None = None
        self._rows = 0

    def __enter__(self) -> Self:
        try:
            handle, self._temp = private_temp(self._path)
        except OSError as exc:
            raise UsageError(f"cannot write the plan {self._path}: {describe(exc)}") from exc
        self._file = os.fdopen(handle, "w", encoding="utf-8")
        head = json_safe(self._header.model_dump_json())
        self._file.write(head[:-1] + ',"rows":[\n')
        return self

    def add(self, row: PlanRow) -> None:
        """Append one row."""
        if self._file is None:
            raise RuntimeError("PlanWriter used outside `with`")
        line = json_text(row.model_dump(mode="json"), separators=(",", ":"))
        with self._writing():
            self._file.write(("" if self._rows == 0 else ",\n") + line)
        self._rows += 1

    def finish(self, tally: PlanTally, write_limit: RateLimit) -> None:
        """Write the totals and move the file into place."""
        if self._file is None:
            raise RuntimeError("PlanWriter used outside `with`")
        totals = {
            "counts": tally.counts_json(),
            "counts_by_op": tally.by_op_json(),
            "will_apply_writes": tally.will_apply_writes,
            "estimated_write_seconds": estimated_seconds(tally.will_apply_writes, write_limit),
        }
        with self._writing():
            self._file.write("\n]," + json.dumps(totals)[1:] + "\n")
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()
            self._file = None
            os.replace(self._temp, self._path)

    @contextlib.contextmanager
    def _writing(self) -> Iterator[None]:
        """A failed write (a full disk) is one line and exit 2, with no half plan left."""
        try:
            yield
        except OSError as exc:
            raise UsageError(
                f"cannot write the plan {self._path}: {describe(exc)}; no plan was written"
            ) from exc

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._file is not None:  # not finished: leave no half-written plan behind
            with contextlib.suppress(OSError):  # a full disk fails the flush in close()
                self._file.close()
            self._file = None
            self._temp.unlink(missing_ok=True)
