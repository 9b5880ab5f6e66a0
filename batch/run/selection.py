"""Which rows of a manifest this run owns and which it will actually send.

`--shard` decides ownership (rows of other shards get no record at all: they belong to another
run's audit log). Among owned rows, repeats of an earlier row, rows a reviewed `--plan` did not
mark `will-apply` or `unknown`, and rows an earlier run already finished (`--resume`) are recorded
`skipped`. A streaming `survey` counts what is left to send before anything is sent, for the
overview, the confirmation and the pre-flight.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from batch.jobctl.resume import RESUMED_REASON, ResumeIndex
from batch.jobctl.shard import Shard, in_shard
from batch.manifest import Entry
from batch.operations import RequestClass
from batch.planning.selection import PlanSelection
from batch.readback import AnyOperation

DUPLICATE_REASON = "duplicate"
NOT_IN_PLAN_REASON = "not-in-plan"


@dataclass(frozen=True)
class Selection:
    """The run's share of the manifest: shard, duplicates and rows already done."""

    duplicates: frozenset[int] = frozenset()
    shard: Shard | None = None
    done: ResumeIndex | None = None
    plan: PlanSelection | None = None

    def owned(self, entries: Iterable[Entry]) -> Iterator[Entry]:
        """The entries of this run's shard (all of them without `--shard`)."""
        return (e for e in entries if in_shard(e.operation.key, self.shard))

    def skip_reason(self, entry: Entry) -> str | None:
        """Why an owned row is not sent (`duplicate`, `not-in-plan`, `resumed`), or None."""
        if entry.index in self.duplicates:
            return DUPLICATE_REASON
        if self.plan is not None and not self.plan.includes(entry.index, entry.operation.key):
            return NOT_IN_PLAN_REASON
        if self.done is not None and self.done.is_done(entry.operation.key):
            return RESUMED_REASON
        return None

    def skip_detail(self, entry: Entry) -> str | None:
        """`skip_reason`, with the plan's classification for a row it left out, for people."""
        reason = self.skip_reason(entry)
        if reason == NOT_IN_PLAN_REASON and self.plan is not None:
            why = self.plan.why_excluded(entry.index, entry.operation.key)
            return f"{reason}: {why}" if why is not None else reason
        return reason

    def plan_flagged(self, entry: Entry) -> str | None:
        """The plan's classification when it left the row out as needing attention, else None."""
        if self.plan is None or not self.plan.flagged(entry.index, entry.operation.key):
            return None
        return self.skip_detail(entry)


@dataclass(frozen=True)
class Survey:
    """What a run will send: rows per op, rows it skips, and its first write."""

    rows: int
    to_send: dict[str, int]
    skipped: dict[str, int]
    first_write: tuple[int, AnyOperation] | None

    @property
    def writes(self) -> int:
        """Rows to send that change something."""
        return sum(n for op, n in self.to_send.items() if op != "get-session")


def survey(entries: Iterable[Entry], selection: Selection) -> Survey:
    """Count one streaming pass over the owned entries (nothing is kept per row)."""
    rows = 0
    to_send: Counter[str] = Counter()
    skipped: Counter[str] = Counter()
    first_write: tuple[int, AnyOperation] | None = None
    for entry in selection.owned(entries):
        rows += 1
        reason = selection.skip_detail(entry)
        if reason is not None:
            skipped[reason] += 1
            continue
        op = entry.operation
        to_send[op.op] += 1
        if first_write is None and op.request_class is RequestClass.WRITE:
            first_write = (entry.location.line, op)
    return Survey(rows, dict(to_send), dict(skipped), first_write)
