"""Fan a manifest out to workers, at most N rows sending at once, and stop cleanly on deadline,
Ctrl-C or refused writes.

Rows stream from the manifest into a bounded queue (memory stays flat however long the
manifest); each worker carries one row at a time to its `op.finished` record and writes it
before taking the next. A row sends only while it holds one of N seats (`--concurrency`,
`batch.http.seats`) and gives it up while it waits out a retry delay, so there are
`WORKERS_PER_SEAT` workers per seat: a seat given up is taken by the next row at once.
Whatever stops the run, every row still gets exactly one record: rows not yet taken are
recorded `skipped`, rows cut off in flight `failed`.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from batch.audit.records import OpFinished, Outcome
from batch.audit.writer import AuditWriter
from batch.errors import AuthError, GraphBatchError, ManifestError
from batch.exit_codes import ExitCode
from batch.http.pacing import Clock
from batch.http.seats import Seats
from batch.manifest import Entry
from batch.operations import RequestClass
from batch.run.executor import Executor, RowState

INTERRUPT_GRACE = 10.0
"""Seconds in-flight rows get to finish after Ctrl-C/SIGTERM or the deadline."""
UNANSWERED_MESSAGE = (
    "stopped with a request sent and unanswered: it may have been applied; "
    "`run --resume` reads the target back before sending it again"
)
"""The `error_message` of a row cut off while its request was out."""
REFUSAL_SAMPLE = 5
"""Writes looked at to tell "this token may not write here at all" from isolated 403s."""
MAX_LISTED = 20
"""Failed rows the end-of-run summary lists; the audit log and failures CSV have them all."""
WORKERS_PER_SEAT = 4
"""Rows taken per seat: while some wait out a `Retry-After`, the others keep every seat busy."""


class ProgressSink(Protocol):
    """What the runner tells the progress display (`batch.display.progress.Progress`)."""

    def row_done(self, category: str, request_class: RequestClass | None = None) -> None:
        """One row finished; `request_class` when it was one the run planned to send."""
        ...

    def not_run(self) -> None:
        """One row a stop left unrun."""
        ...

    def stop(self, why: str) -> None:
        """The run stopped taking rows."""
        ...


class StopReason(StrEnum):
    """Why a run stopped taking rows before the end of the manifest."""

    DEADLINE = "deadline"
    INTERRUPTED = "interrupted"
    AUTH = "auth"
    MANIFEST_CHANGED = "manifest-changed"


_UNFINISHED = frozenset({StopReason.DEADLINE, StopReason.MANIFEST_CHANGED})
"""Stops that leave rows undone without anything having failed: exit 1, not 0."""


class WriteRefusalGuard:
    """Trips when the first writes of a run are all refused with 403 and none succeeded."""

    def __init__(self, planned_writes: int) -> None:
        self._sample = min(REFUSAL_SAMPLE, planned_writes)
        self._seen = 0
        self._refused = 0

    def observe(self, status: int | None, outcome: Outcome) -> bool:
        """Record one finished write; True when the run should stop."""
        if self._seen >= self._sample:
            return False
        self._seen += 1
        if status == 403 and outcome is Outcome.FAILED:
            self._refused += 1
        return self._seen == self._sample and self._refused == self._sample


@dataclass
class RunTotals:
    """What a run did, for the summary and `run.finished`."""

    counts: Counter[str] = field(default_factory=Counter)
    by_op: dict[str, Counter[str]] = field(default_factory=dict)
    stop_reason: StopReason | None = None
    stop_message: str | None = None
    not_run: int = 0
    """Skipped rows a stop left unrun (counted in `skipped` too)."""
    failed: list[OpFinished] = field(default_factory=list)
    """The first `MAX_LISTED` failed rows, for the summary."""

    def add(self, record: OpFinished) -> None:
        """Count one finished row."""
        self.counts[record.outcome.value] += 1
        self.by_op.setdefault(record.op, Counter())[record.outcome.value] += 1
        if record.not_run:
            self.not_run += 1
        elif record.outcome is Outcome.FAILED and len(self.failed) < MAX_LISTED:
            self.failed.append(record)

    @property
    def exit_code(self) -> ExitCode:
        """The process exit code this run ends with."""
        if self.stop_reason is StopReason.INTERRUPTED:
            return ExitCode.INTERRUPTED
        if self.stop_reason is StopReason.AUTH:
            return ExitCode.AUTH
        if self.counts[Outcome.FAILED.value] or self.stop_reason in _UNFINISHED:
            return ExitCode.FAILED
        return ExitCode.OK


class Runner:
    """One run's orchestration: producer, workers, stop handling."""

    def __init__(
        self,
        *,
        executor: Executor,
        audit: AuditWriter,
        clock: Clock,
        concurrency: int,
        planned_writes: int,
        skip_reason: Callable[[Entry], str | None] = lambda entry: None,
        read_back_first: Callable[[Entry], bool] = lambda entry: False,
        on_finished: Callable[[Entry, OpFinished], None] = lambda entry, record: None,
        deadline: float | None = None,
        progress: ProgressSink | None = None,
    ) -> None:
        self.totals = RunTotals()
        self._executor = executor
        self._audit = audit
        self._clock = clock
        self._seats = Seats(concurrency)
        self._workers = concurrency * WORKERS_PER_SEAT
        self._skip_reason_of = skip_reason
        self._read_back_first = read_back_first
        self._on_finished = on_finished
        self._deadline = deadline
        self._progress = progress
        self._guard = WriteRefusalGuard(planned_writes)
        self._queue: asyncio.Queue[Entry | None] = asyncio.Queue(maxsize=self._workers)
        self._in_flight: dict[asyncio.Task[OpFinished], RowState] = {}
        self._hard_stop: asyncio.TimerHandle | None = None

    def stop(self, reason: StopReason, message: str | None = None) -> None:
        """Take no more rows; in-flight rows get `INTERRUPT_GRACE` seconds to finish."""
        if self.totals.stop_reason is not None:
            if reason is StopReason.INTERRUPTED:
                self._cancel_in_flight()  # A second Ctrl-C means "now".
            return
        self.totals.stop_reason, self.totals.stop_message = reason, message
        if self._progress is not None:
            self._progress.stop(str(reason))
        if reason is not StopReason.AUTH:
            # Rows that cannot have changed anything yet (no request sent, or only 429s and
            # now waiting out a Retry-After) are dropped at once; rows with a request out get
            # a grace period, so an applied change is not recorded as unknown.
            for task, state in list(self._in_flight.items()):
                if state.untouched:
                    task.cancel()
            loop = asyncio.get_running_loop()
            self._hard_stop = loop.call_later(INTERRUPT_GRACE, self._cancel_in_flight)

    def _cancel_in_flight(self) -> None:
        for task in list(self._in_flight):
            task.cancel()

    async def run(self, entries: Iterable[Entry]) -> RunTotals:
        """Run every entry; returns the totals (the caller writes `run.finished`).

        Ctrl-C and SIGTERM reach `stop` through `batch.interrupts`, set up by the caller.
        """
        loop = asyncio.get_running_loop()
        timer = None
        if self._deadline is not None:
            timer = loop.call_later(self._deadline, self.stop, StopReason.DEADLINE)
        try:
            async with asyncio.TaskGroup() as group:
                group.create_task(self._produce(entries))
                for _ in range(self._workers):
                    group.create_task(self._work())
        except* GraphBatchError as failed:
            # An expected failure that stops everything (the audit log cannot be written):
            # surface it as itself, so the CLI prints one line instead of a traceback.
            raise failed.exceptions[0] from None
        finally:
            for handle in (timer, self._hard_stop):
                if handle is not None:
                    handle.cancel()
        return self.totals

    def _skip_reason(self) -> str:
        reason = self.totals.stop_reason
        return "deadline" if reason is StopReason.DEADLINE else "not-run"

    async def _produce(self, entries: Iterable[Entry]) -> None:
        try:
            for entry in entries:
                if reason := self._skip_reason_of(entry):
                    self._skip(entry, reason)
                elif self.totals.stop_reason is not None:
                    self._skip(entry, self._skip_reason())
                else:
                    await self._queue.put(entry)
        except ManifestError as exc:
            # Validated before the first request, so the file was edited while being run.
            self.stop(
                StopReason.MANIFEST_CHANGED,
                f"the manifest changed while it was being run ({exc.message}); "
                "the rows after that point were not read",
            )
        for _ in range(self._workers):
            await self._queue.put(None)

    async def _work(self) -> None:
        while (entry := await self._queue.get()) is not None:
            if self.totals.stop_reason is not None:
                self._skip(entry, self._skip_reason())
                continue
            record = await self._run_row(entry)
            self._finish(entry, record)
            if entry.operation.request_class is RequestClass.WRITE:
                self._check_refusals(record)

    async def _run_row(self, entry: Entry) -> OpFinished:
        state = RowState(
            row=entry.location.line,
            op=entry.operation,
            started=self._clock.now(),
            read_back_first=self._read_back_first(entry),
        )
        task = asyncio.ensure_future(self._seated(state, dict(entry.labels)))
        self._in_flight[task] = state
        try:
            return await task
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if not task.cancelled() or (current is not None and current.cancelling()):
                raise  # This worker itself is being cancelled: not ours to absorb.
            labels = dict(entry.labels)
            if state.untouched:
                return self._executor.finished(state, labels, Outcome.SKIPPED, self._skip_reason())
            code = "deadline" if self.totals.stop_reason is StopReason.DEADLINE else "interrupted"
            message = UNANSWERED_MESSAGE if state.unanswered else None
            return self._executor.finished(
                state, labels, Outcome.FAILED, code, error_code=code, error_message=message
            )
        finally:
            self._in_flight.pop(task, None)

    async def _seated(self, state: RowState, labels: dict[str, str]) -> OpFinished:
        async with self._seats.taken():
            if self.totals.stop_reason is not None:
                # Stopped while this row queued for a seat (a refused token does not cancel
                # rows): nothing of it was sent.
                return self._executor.finished(state, labels, Outcome.SKIPPED, self._skip_reason())
            state.started = self._clock.now()  # A row's duration starts at its seat, not queue.
            try:
                return await self._executor.execute(state, labels)
            except AuthError as exc:
                # Stopped before the seat is given back, so no row takes it to send with a
                # token Graph just refused.
                self.stop(StopReason.AUTH, exc.message)
                return self._executor.finished(state, labels, Outcome.FAILED, "token-refused")

    def _skip(self, entry: Entry, reason: str) -> None:
        state = RowState(row=entry.location.line, op=entry.operation, started=self._clock.now())
        record = self._executor.finished(state, dict(entry.labels), Outcome.SKIPPED, reason)
        self._finish(entry, record)

    def _finish(self, entry: Entry, record: OpFinished) -> None:
        # Synchronous: no await between the outcome and its line, so nothing can lose it.
        self._audit.write(record)
        self._on_finished(entry, record)
        self.totals.add(record)
        if self._progress is None:
            return
        if record.not_run:
            self._progress.not_run()
        elif record.outcome is Outcome.SKIPPED:
            self._progress.row_done(record.outcome.value)  # the selection's skip: not planned
        else:
            self._progress.row_done(record.outcome.value, entry.operation.request_class)

    def _check_refusals(self, record: OpFinished) -> None:
        if self._guard.observe(record.status, record.outcome):
            self.stop(
                StopReason.AUTH,
                "every write so far was refused with 403 Forbidden: the token may not change "
                "these events (cancel needs a delegated sign-in of the event organizer; an "
                "app-only token cannot cancel)",
            )
