"""`graph-batch run` end to end: validate, settle settings, ask, then run and report.

Nothing is sent before the manifest is valid, the settings are good, the user has agreed to
destructive changes, and a token is at hand. The audit log gets `run.started`, the attempts,
exactly one `op.finished` per row, and `run.finished`, however the run ends.
"""

from __future__ import annotations

import asyncio
import sys
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from batch import __version__
from batch.audit.records import RunFinished, RunStarted
from batch.audit.writer import AuditWriter
from batch.auth.base import TokenSource
from batch.auth.env_token import EnvTokenSource
from batch.errors import AuthError, UsageError
from batch.executor import Executor, TokenHolder
from batch.exit_codes import ExitCode
from batch.graph_client import GraphClient
from batch.manifest import Validation, iter_entries, validate_manifest
from batch.operations import RequestClass
from batch.pacing import Clock, MonotonicClock, Pacers
from batch.plan import Plan, preview
from batch.preflight import preflight
from batch.progress import Progress
from batch.retry_policy import RetryPolicy
from batch.run_settings import RunSettings, resolve_settings
from batch.runner import Runner, StopReason
from batch.summary import render_summary
from batch.verify import AnyOperation


@dataclass
class Console:
    """The streams a run talks to, and whether a person is at them."""

    out: TextIO = field(default_factory=lambda: sys.stdout)
    err: TextIO = field(default_factory=lambda: sys.stderr)
    inp: TextIO = field(default_factory=lambda: sys.stdin)

    @property
    def interactive(self) -> bool:
        """True when both stdin and stdout are terminals (someone can answer a prompt)."""
        return self.inp.isatty() and self.out.isatty()

    @property
    def live(self) -> bool:
        """True when stderr is a terminal (a redrawn progress bar makes sense)."""
        return self.err.isatty()


def default_audit_path(run_id: str) -> Path:
    """`graph-batch-audit-<UTC timestamp>-<run id prefix>.jsonl` in the current directory."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return Path(f"graph-batch-audit-{stamp}-{run_id[:8]}.jsonl")


def run_job(
    manifest: str,
    cli: Mapping[str, object | None],
    environ: Mapping[str, str],
    *,
    console: Console | None = None,
    token_source: TokenSource | None = None,
) -> int:
    """Run `manifest`; returns the exit code. Raises `GraphBatchError` for usage/auth errors."""
    console = console or Console()
    validation = validate_manifest(manifest)
    if not validation.ok:
        _print_problems(validation, console.err)
        return int(ExitCode.INVALID)
    settings = resolve_settings(cli, environ, validation.settings)
    plan = Plan.build(validation.counts_by_op, len(validation.duplicate_indexes), settings)
    if settings.dry_run:
        _print_dry_run(manifest, plan, settings, console.out)
        return int(ExitCode.OK)
    _confirm(validation, plan, settings, console)
    source = token_source or EnvTokenSource(environ)
    return asyncio.run(
        _run(
            manifest,
            validation=validation,
            settings=settings,
            source=source,
            console=console,
            manifest_path=str(Path(manifest).resolve()),
        )
    )


def _print_problems(validation: Validation, err: TextIO) -> None:
    for problem in validation.errors:
        print(problem, file=err)
    hidden = validation.error_count - len(validation.errors)
    if hidden > 0:
        print(f"... and {hidden} more problems", file=err)
    print(
        f"{validation.file}: INVALID ({validation.error_count} errors); nothing was sent",
        file=err,
    )


def _print_dry_run(manifest: str, plan: Plan, settings: RunSettings, out: TextIO) -> None:
    requests = ((entry.operation.method, entry.operation.path) for entry in iter_entries(manifest))
    print(f"Dry run of {manifest}: nothing will be sent.", file=out)
    print(plan.describe(settings), file=out)
    print(f"First requests (to {settings.base_url}):", file=out)
    print("\n".join(preview(requests, settings)), file=out)


def _confirm(validation: Validation, plan: Plan, settings: RunSettings, console: Console) -> None:
    max_destructive = validation.settings.max_destructive
    if max_destructive is not None and plan.destructive > max_destructive:
        raise UsageError(
            f"the manifest has {plan.destructive} destructive operations, more than its "
            f"settings.max_destructive ({max_destructive}); nothing was sent"
        )
    if not plan.destructive or settings.yes:
        return
    if not console.interactive:
        raise UsageError(
            f"{plan.destructive} destructive operations and no terminal to confirm them: "
            "pass --yes (or set GRAPH_BATCH_YES=1) to run unattended; nothing was sent"
        )
    print(f"About to run {validation.file} against {settings.base_url}:", file=console.out)
    print(plan.describe(settings), file=console.out)
    console.out.write("Proceed? [y/N] ")
    console.out.flush()
    if console.inp.readline().strip().lower() not in {"y", "yes"}:
        raise UsageError("not confirmed; nothing was sent")


def _first_write(manifest: str) -> tuple[int, AnyOperation] | None:
    for entry in iter_entries(manifest):
        if entry.operation.request_class is RequestClass.WRITE:
            return entry.location.line, entry.operation
    return None


async def _run(
    manifest: str,
    *,
    validation: Validation,
    settings: RunSettings,
    source: TokenSource,
    console: Console,
    manifest_path: str,
    clock: Clock | None = None,
) -> int:
    clock = clock or MonotonicClock()
    token = await source.get_token()  # AuthError (exit 3) before anything else happens
    run_id = uuid.uuid4().hex
    audit_path = settings.audit_log or default_audit_path(run_id)
    started = clock.now()
    deadline_at = started + settings.deadline if settings.deadline else float("inf")
    try:
        with AuditWriter(audit_path) as audit:
            audit.write(
                RunStarted(
                    run_id=run_id,
                    tool_version=__version__,
                    manifest=manifest_path,
                    manifest_sha256=validation.sha256,
                    settings=settings.model_dump(mode="json"),
                    base_url=settings.base_url,
                    operation_count=validation.operation_count,
                )
            )
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
                    pacers=Pacers(settings.write_limit, settings.read_limit, clock),
                    policy=RetryPolicy(max_attempts=settings.max_attempts),
                    clock=clock,
                    audit=audit,
                    seconds_left=lambda: deadline_at - clock.now(),
                )
                progress = Progress(
                    validation.operation_count,
                    console.err,
                    live=console.live,
                    clock=clock,
                    throttled=lambda: executor.traffic.throttled,
                )
                runner = Runner(
                    executor=executor,
                    audit=audit,
                    clock=clock,
                    concurrency=settings.concurrency,
                    planned_writes=plan_writes(validation),
                    duplicate_indexes=validation.duplicate_indexes,
                    deadline=settings.deadline,
                    progress=progress,
                )
                try:
                    await preflight(executor, token, _first_write(manifest))
                except AuthError as exc:
                    runner.stop(StopReason.AUTH, exc.message)
                reporter = (
                    None
                    if settings.quiet
                    else asyncio.create_task(progress.report_until_cancelled())
                )
                try:
                    totals = await runner.run(iter_entries(manifest))
                finally:
                    if reporter is not None:
                        reporter.cancel()
                        await asyncio.gather(reporter, return_exceptions=True)
            elapsed = clock.now() - started
            code = totals.exit_code
            audit.write(
                RunFinished(
                    run_id=run_id,
                    counts=dict(totals.counts),
                    elapsed=round(elapsed, 3),
                    exit_code=int(code),
                    throttled=executor.traffic.throttled,
                    interrupted=totals.stop_reason is StopReason.INTERRUPTED,
                )
            )
    finally:
        await source.close()
    if totals.stop_message:
        print(f"graph-batch: {totals.stop_message}", file=console.err)
    if totals.stop_reason is StopReason.INTERRUPTED:
        print("graph-batch: interrupted; rows not run are recorded as skipped", file=console.err)
    if not (settings.quiet and code is ExitCode.OK):
        summary = render_summary(
            totals.counts,
            totals.by_op,
            requests=executor.traffic.requests,
            throttled=executor.traffic.throttled,
            elapsed=elapsed,
            audit_log=audit_path,
            exit_code=int(code),
        )
        print(summary, file=console.out)
    return int(code)


def plan_writes(validation: Validation) -> int:
    """How many rows of the manifest are writes (what the refusal guard samples from)."""
    return sum(n for op, n in validation.counts_by_op.items() if op != "get-session")
