"""`run --resume`: which rows an earlier run of the same audit log already finished.

A row counts as done when any earlier run recorded it `succeeded` or `already_done`, or
`skipped` with reason `resumed` (that run found it done before, so the log may be rotated
without losing the fact). Failed, otherwise skipped and never-finished rows run again. Rows are
matched by operation key, recomputed from each record's `op` and `target` exactly as
`Operation.key` computes it, so an email matches whatever its case.

A row whose write went out and came back with no answer, or one that may hide an applied
change (500, 502, 504), is `unsettled`: the write-ahead `op.sending` record says the request
left even when the process died before anything else was written. So is any row with a write
sent (`op.sending` or `op.attempt`) and no `op.finished` after it, whatever the answer was: a
2xx recorded just before a kill -9 or a full audit log means the change is in. Such a row is
read back before anything is sent again, so a write is never sent twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from batch.audit.reader import AuditLogScan, check_is_audit_log
from batch.audit.records import OpAttempt, OpFinished, OpSending, Outcome, RunStarted
from batch.operations import operation_key

RESUMED_REASON = "resumed"
"""The `reason` of the `skipped` record a resumed run writes for a row already done."""

_DONE = frozenset({Outcome.SUCCEEDED, Outcome.ALREADY_DONE})
_MAY_HIDE_A_CHANGE = frozenset({None, 500, 502, 504})
"""Answers after which a write may have been applied unseen (as the executor treats them)."""


@dataclass(frozen=True)
class ResumeIndex:
    """What an audit log says is already done, and how healthy the log was."""

    keys: frozenset[str]
    runs_seen: int
    unsettled: frozenset[str] = frozenset()
    """Keys of rows with a write that went out and may have been applied unseen."""
    corrupt_lines: tuple[int, ...] = ()
    truncated_tail: bool = False
    last_run_id: str | None = None

    def is_done(self, key: str) -> bool:
        """Whether the row with this operation key already finished in an earlier run."""
        return key in self.keys

    def must_read_back(self, key: str) -> bool:
        """Whether an earlier write of this row may have been applied without an answer."""
        return key in self.unsettled


def is_done_record(record: OpFinished) -> bool:
    """Whether an `op.finished` record means the change is in place."""
    return record.outcome in _DONE or (
        record.outcome == Outcome.SKIPPED and record.reason == RESUMED_REASON
    )


def load_finished_keys(path: Path) -> ResumeIndex:
    """Scan the audit log at `path`; a missing log means nothing is done yet (a first run).

    UsageError (exit 2) when `path` is not an audit log (`check_is_audit_log`).
    """
    if not path.exists():
        return ResumeIndex(keys=frozenset(), runs_seen=0)
    check_is_audit_log(path)
    scan = AuditLogScan(path)
    keys: set[str] = set()
    unsettled: set[str] = set()
    sent: dict[tuple[str, int], str] = {}
    """Writes sent and not answered yet: (client request id, attempt) -> operation key."""
    open_writes: set[str] = set()
    """Keys of rows with a write sent and no `op.finished` since: the run died in between."""
    runs_seen = 0
    last_run_id: str | None = None
    for _, record in scan:
        if isinstance(record, RunStarted):
            runs_seen += 1
            last_run_id = record.run_id
        elif isinstance(record, OpSending):
            if record.purpose == "operation" and record.method != "GET":
                key = operation_key(record.op, record.target)
                sent[(record.client_request_id, record.attempt)] = key
                open_writes.add(key)
        elif isinstance(record, OpAttempt):
            key_of = sent.pop((record.client_request_id, record.attempt), None)
            if key_of is not None and record.status in _MAY_HIDE_A_CHANGE:
                unsettled.add(key_of)
        elif isinstance(record, OpFinished):
            key = operation_key(record.op, record.target)
            open_writes.discard(key)
            if is_done_record(record):
                keys.add(key)
    unsettled.update(sent.values(), open_writes)
    return ResumeIndex(
        keys=frozenset(keys),
        runs_seen=runs_seen,
        unsettled=frozenset(unsettled - keys),
        corrupt_lines=tuple(scan.corrupt_lines),
        truncated_tail=scan.truncated_tail,
        last_run_id=last_run_id,
    )


def damage_warning(index: ResumeIndex, path: Path) -> str | None:
    """The warning a resumed run prints about unreadable lines it skipped, if there were any.

    A row whose record was unreadable runs again (verified, so never applied twice); the user
    should still learn the log was damaged.
    """
    if not index.corrupt_lines:
        return None
    shown = ", ".join(map(str, index.corrupt_lines[:10]))
    more = " ..." if len(index.corrupt_lines) > 10 else ""
    tail = "; the last was cut off mid-write" if index.truncated_tail else ""
    return (
        f"warning: --resume skipped {len(index.corrupt_lines)} unreadable line(s) of {path} "
        f"(line {shown}{more}{tail}; a run killed mid-write leaves one): rows they recorded "
        "run again"
    )
