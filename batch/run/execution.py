"""`graph-batch run` from the first request on: lock, audit, pre-flight, run, summary.

The audit log gets `run.started`, the attempts, exactly one `op.finished` per row of the run's
share, and `run.finished`, however the run ends (failed rows, deadline, refused token, Ctrl-C).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from batch import __version__
from batch.audit.records import OpFinished, Outcome, RunFinished, RunStarted
from batch.audit.writer import AuditWriter
from batch.auth.base import AccessToken, TokenSource
from batch.auth.token_holder import TokenHolder
from batch.display.progress import Progress
from batch.display.terminal import show
from batch.errors import AuthError, RunInterruptedError
from batch.http.client import GraphClient
from batch.http.pacing import Clock, MonotonicClock, Pacers
from batch.http.retry_policy import RetryPolicy
from batch.interrupts import Interrupts
from batch.jobctl.failures import FailuresCsvWriter
from batch.manifest import Entry, Validation, iter_entries
from batch.operations import RequestClass
from batch.run.confirm import confirm
from batch.run.console import Console
from batch.run.executor import Executor, Traffic
from batch.run.job_files import open_run_files
from batch.run.preflight import preflight
from batch.run.selection import Selection, Survey
from batch.run.settings import RunSettings
from batch.run.summary import RunFacts, render_summary
from batch.run.workers import Runner, RunTotals, StopReason
from batch.safe_text import for_terminal


@dataclass(frozen=True)
class Job:
    """Everything settled before the first request."""

    manifest: str
    manifest_path: str
    state_dir: Path
    """Where the job's locks live (see `lock_place`); `--lock-file` only adds one."""
    validation: Validation
    settings: RunSettings
    selection: Selection
    survey: Survey


def default_audit_path(run_id: str) -> Path:
    """`graph-batch-audit-<UTC timestamp>-<run id prefix>.jsonl` in the current directory."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return Path(f"graph-batch-audit-{stamp}-{run_id[:8]}.jsonl")


def _failure_recorder(
    failures: FailuresCsvWriter | None, selection: Selection, manifest: str
) -> Callable[[Entry, OpFinished], None]:
    """Write each undone row: failed, not run (stop), or left out by the plan as needing care."""

    def record(entry: Entry, finished: OpFinished) -> None:
        if failures is None:
            return
        reason = finished.reason or ""
        if finished.outcome is Outcome.SKIPPED and not finished.not_run:
            reason = selection.plan_flagged(entry) or ""
            if not reason:
                return
        elif finished.outcome is not Outcome.FAILED and not finished.not_run:
            return
        failures.add(
            entry.fields,
            finished.error_code or "",
            finished.error_message or "",
            reason=reason,
            source=f"{manifest}:{entry.location.line}",
        )

    return record


async def execute(
    job: Job,
    source: TokenSource,
    console: Console,
    policy: RetryPolicy,
    clock: Clock | None = None,
) -> int:
    """Run the job; returns the exit code. The token source is closed on the way out.

    Ctrl-C or SIGTERM at any point from sign-in on still gives every row its `op.finished`
    (rows never started: `skipped`, reason `not-run`) and the log its `run.finished`.
    """
    clock = clock or MonotonicClock()
    with Interrupts() as interrupts:
        return await _execute(job, source, console, policy, clock=clock, interrupts=interrupts)


async def _execute(
    job: Job,
    source: TokenSource,
    console: Console,
    policy: RetryPolicy,
    *,
    clock: Clock,
    interrupts: Interrupts,
) -> int:
    settings = job.settings
    try:
        try:
            # AuthError (exit 3) before anything is written; Ctrl-C here still records the rows.
            token: AccessToken | None = await interrupts.guard(source.get_token())
        except RunInterruptedError:
            token = None
        if token is not None and not job.settings.yes and not interrupts.received:
            confirm(job.validation.file, job.survey, job.settings, token, console)
        run_id = uuid.uuid4().hex
        audit_path = settings.audit_log or default_audit_path(run_id)
        with ExitStack() as stack:
            files = open_run_files(
                stack,
                settings=settings,
                validation=job.validation,
                state_dir=job.state_dir,
                token=token,
                audit_path=audit_path,
                started=RunStarted(
                    run_id=run_id,
                    tool_version=__version__,
                    manifest=job.manifest_path,
                    manifest_sha256=job.validation.sha256,
                    settings=settings.model_dump(mode="json"),
                    base_url=settings.base_url,
                    operation_count=job.survey.rows,
                    resumed=settings.resume,
                ),
                err=console.err,
            )
            audit, failures = files.audit, files.failures
            started = clock.now()
            totals, traffic = await _run(
                job,
                run_id=run_id,
                token=token,
                source=source,
                audit=audit,
                failures=failures,
                console=console,
                policy=policy,
                clock=clock,
                interrupts=interrupts,
            )
            elapsed = clock.now() - started
            code = totals.exit_code
            audit.write(
                RunFinished(
                    run_id=run_id,
                    counts=dict(totals.counts),
                    elapsed=round(elapsed, 3),
                    exit_code=int(code),
                    throttled=traffic.throttled,
                    interrupted=totals.stop_reason is StopReason.INTERRUPTED,
                    settled_rate=traffic.settled_rate,
                )
            )
    finally:
        await source.close()
    facts = RunFacts(
        manifest=job.manifest,
        requests=traffic.requests,
        throttled=traffic.throttled,
        elapsed=elapsed,
        audit_log=audit_path,
        exit_code=int(code),
        skipped=job.survey.skipped,
        failures_csv=settings.failures_csv,
        failures_written=failures.count if failures is not None else 0,
    )
    _report(totals, facts, settings=settings, console=console)
    return int(code)


async def _run(
    job: Job,
    *,
    run_id: str,
    token: AccessToken | None,
    source: TokenSource,
    audit: AuditWriter,
    failures: FailuresCsvWriter | None,
    console: Console,
    policy: RetryPolicy,
    clock: Clock,
    interrupts: Interrupts,
) -> tuple[RunTotals, Traffic]:
    settings = job.settings
    deadline_at = clock.now() + (settings.deadline or float("inf"))
    pacers = Pacers(settings.write_limit, settings.read_limit, clock)
    async with GraphClient(
        settings.base_url,
        settings.api_version,
        request_timeout=settings.request_timeout,
        connections=settings.concurrency + 2,
    ) as client:
        executor = Executor(
            run_id=run_id,
            client=client,
            tokens=TokenHolder(source),
            pacers=pacers,
            policy=policy,
            clock=clock,
            audit=audit,
            seconds_left=lambda: deadline_at - clock.now(),
        )
        writes = job.survey.writes
        reads = sum(job.survey.to_send.values()) - writes
        pacers.expect(writes=writes, reads=reads)
        record_failure = _failure_recorder(failures, job.selection, job.manifest)

        def finished(entry: Entry, record: OpFinished) -> None:
            if record.outcome is not Outcome.SKIPPED:  # a skipped row was never to send
                pacers.row_done(entry.operation.request_class)
            record_failure(entry, record)

        progress = Progress(
            job.survey.rows,
            console.err,
            live=console.live,
            clock=clock,
            categories=[outcome.value for outcome in Outcome],
            planned={
                RequestClass.WRITE: writes,
                RequestClass.READ: reads,
            },
            rate=lambda request_class: pacers[request_class].per_second,  # the learned rate
            throttled=lambda: executor.traffic.throttled,
            as_json=job.settings.log_format == "json",
        )
        runner = Runner(
            executor=executor,
            audit=audit,
            clock=clock,
            concurrency=settings.concurrency,
            planned_writes=job.survey.writes,
            skip_reason=job.selection.skip_reason,
            read_back_first=job.selection.read_back_first,
            on_finished=finished,
            deadline=settings.deadline,
            progress=progress,
        )
        with interrupts.forward_to(lambda: runner.stop(StopReason.INTERRUPTED)):
            await _preflight(job, executor, runner, token, interrupts)
            reporter = None
            if not settings.quiet:
                reporter = asyncio.create_task(progress.report_until_cancelled())
            try:
                totals = await runner.run(job.selection.owned(iter_entries(job.manifest)))
            finally:
                if reporter is not None:
                    reporter.cancel()
                    await asyncio.gather(reporter, return_exceptions=True)
    executor.traffic.settled_rate = pacers.settled()
    return totals, executor.traffic


async def _preflight(
    job: Job, executor: Executor, runner: Runner, token: AccessToken | None, interrupts: Interrupts
) -> None:
    """Pre-flight, or stop the runner before its first row when it fails or is interrupted."""
    if token is None or interrupts.received:  # Interrupted during sign-in or since.
        runner.stop(StopReason.INTERRUPTED)
        return
    try:
        await interrupts.guard(
            preflight(executor, token, job.survey.to_send, job.survey.first_write)
        )
    except AuthError as exc:
        runner.stop(StopReason.AUTH, exc.message)
    except RunInterruptedError:
        runner.stop(StopReason.INTERRUPTED)


def _report(totals: RunTotals, facts: RunFacts, *, settings: RunSettings, console: Console) -> None:
    if totals.stop_message:
        print(f"graph-batch: {for_terminal(totals.stop_message)}", file=console.err)
    if totals.stop_reason is StopReason.INTERRUPTED:
        print("graph-batch: interrupted; rows not run are recorded as skipped", file=console.err)
    if settings.quiet and totals.exit_code == 0:
        return
    show(console.out, *render_summary(totals, facts))
