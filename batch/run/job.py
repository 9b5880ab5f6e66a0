"""`graph-batch run` before the first request: validate, settle settings, select.

Nothing is sent before the manifest is valid, the settings are good and the run's share of rows
is known; `batch.run.execution` then signs in and asks before destructive changes (or refuses at
once here when no one is at a terminal to answer and `--yes` was not given).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol, TextIO

from batch.auth.base import TokenSource
from batch.auth.login_state import state_dir_from
from batch.display.terminal import show
from batch.errors import UsageError
from batch.exit_codes import ExitCode
from batch.http.retry_policy import RetryPolicy
from batch.jobctl.guard import check_max_destructive
from batch.jobctl.resume import damage_warning, load_finished_keys
from batch.jobctl.shard import parse_shard
from batch.manifest import Validation, iter_entries, validate_manifest
from batch.manifest.findings import findings
from batch.planning.selection import load_plan_selection
from batch.run.confirm import check_confirmable
from batch.run.console import Console
from batch.run.execution import Job, execute
from batch.run.job_files import check_run_files
from batch.run.overview import estimate_seconds, overview, preview
from batch.run.selection import Selection, Survey, survey
from batch.run.settings import RunSettings, resolve_settings
from batch.safe_text import for_terminal
from batch.settings import ManifestSettings


class Credentials(Protocol):
    """Where the run's token comes from, decided once the manifest's settings are known."""

    def base_url(self, manifest: ManifestSettings) -> str | None:
        """The Graph host of the chosen cloud, or None for the public one."""
        ...

    def token_source(self, manifest: ManifestSettings, run_ends_at: datetime) -> TokenSource:
        """The token source to run with (AuthError when none can be set up)."""
        ...


def run_job(
    manifest: str,
    cli: Mapping[str, object | None],
    environ: Mapping[str, str],
    credentials: Credentials,
    *,
    console: Console | None = None,
    on_settings: Callable[[RunSettings], None] | None = None,
    inputs: Mapping[str, Path | None] | None = None,
) -> int:
    """Run `manifest` in a new event loop; returns the exit code (see `run_job_async`)."""
    return asyncio.run(
        run_job_async(
            manifest,
            cli,
            environ,
            credentials,
            console=console,
            on_settings=on_settings,
            inputs=inputs,
        )
    )


async def run_job_async(
    manifest: str,
    cli: Mapping[str, object | None],
    environ: Mapping[str, str],
    credentials: Credentials,
    *,
    console: Console | None = None,
    retry_policy: RetryPolicy | None = None,
    on_settings: Callable[[RunSettings], None] | None = None,
    inputs: Mapping[str, Path | None] | None = None,
) -> int:
    """Run `manifest`; returns the exit code. Raises `GraphBatchError` for usage/auth errors.

    `retry_policy` replaces the one built from the settings (tests use it to remove waits);
    `on_settings` is called once the settings are known (the CLI sets up its logging there);
    `inputs` are other files the run reads, by flag (`--token-file`), which no output may be.
    """
    console = console or Console()
    validation = validate_manifest(manifest)
    if not validation.ok:
        for line in findings(validation, suffix="; nothing was sent"):
            print(line, file=console.err)
        return int(ExitCode.INVALID)
    settings = resolve_settings(
        cli,
        environ,
        validation.settings,
        default_base_url=credentials.base_url(validation.settings),
    )
    if on_settings is not None:
        on_settings(settings)
    if not settings.dry_run:  # A dry run writes nothing, so it cannot destroy anything.
        check_run_files(manifest, settings, inputs or {})
    selection = _selection(validation, settings, console.err)
    planned = survey(iter_entries(manifest), selection)
    if settings.dry_run:
        _print_dry_run(manifest, planned, selection, settings, console.out)
        return int(ExitCode.OK)
    refusal = check_max_destructive(planned.to_send, settings.max_destructive)
    if refusal is not None:
        raise UsageError(f"{refusal}; nothing was sent")
    check_confirmable(planned, settings, console)
    job = Job(
        manifest=manifest,
        manifest_path=str(Path(manifest).resolve()),  # noqa: ASYNC240 - nothing else runs yet.
        state_dir=None if settings.lock_file else state_dir_from(environ),
        validation=validation,
        settings=settings,
        selection=selection,
        survey=planned,
    )
    # The deadline ends the run even when the rows would take longer: a token outliving it
    # is enough, so the expiry warning compares against whichever comes first.
    seconds = min(estimate_seconds(planned, settings), settings.deadline or float("inf"))
    ends_at = datetime.now(UTC) + timedelta(seconds=seconds)
    source = credentials.token_source(validation.settings, ends_at)
    policy = retry_policy or RetryPolicy(max_attempts=settings.max_attempts)
    return await execute(job, source, console, policy)


def _selection(validation: Validation, settings: RunSettings, err: TextIO) -> Selection:
    done = None
    if settings.resume:
        if settings.audit_log is None:
            raise UsageError("--resume needs --audit-log: the log of the run to pick up from")
        done = load_finished_keys(settings.audit_log)
        warning = damage_warning(done, settings.audit_log)
        if warning is not None:
            print(f"graph-batch: {for_terminal(warning)}", file=err)
    shard = parse_shard(settings.shard) if settings.shard else None
    plan = (
        load_plan_selection(
            settings.plan, validation.sha256, settings.base_url, settings.api_version
        )
        if settings.plan
        else None
    )
    return Selection(duplicates=validation.duplicate_indexes, shard=shard, done=done, plan=plan)


def _print_dry_run(
    manifest: str, planned: Survey, selection: Selection, settings: RunSettings, out: TextIO
) -> None:
    requests = (
        (entry.operation.method, entry.operation.path)
        for entry in selection.owned(iter_entries(manifest))
        if selection.skip_reason(entry) is None
    )
    print(for_terminal(f"Dry run of {manifest}: nothing will be sent."), file=out)
    show(out, overview(planned, settings))
    print(f"First requests (to {settings.base_url}):", file=out)
    print("\n".join(preview(requests, settings)), file=out)
