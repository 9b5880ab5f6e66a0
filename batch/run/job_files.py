"""The files a run writes, checked and opened before its first request to Graph.

`check_run_files` refuses (exit 2) a run whose outputs would overwrite one of its inputs or each
other. `open_run_files` then opens the audit log, takes the job's lock and opens the failures
CSV; any failure there (a symlink, a full disk, a held lock) stops the run before anything is
sent, with one line and exit 2 (4 for a held lock).
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from batch.audit.records import RunStarted
from batch.audit.writer import AuditWriteError, AuditWriter
from batch.auth.base import AccessToken
from batch.auth.jwt_claims import decode_claims
from batch.errors import UsageError
from batch.files.collisions import check_distinct, check_replaceable_outputs
from batch.files.identity import identity_of
from batch.jobctl.failures import FailuresCsvWriter, yaml_columns
from batch.jobctl.lock import JobLock, holder_path_for
from batch.jobctl.lock_place import audit_log_key, lock_path, manifest_key
from batch.manifest import Validation
from batch.manifest.source import starts_with_bom
from batch.run.settings import RunSettings
from batch.safe_text import for_terminal

NOTHING_SENT = "nothing was written or sent"


def check_run_files(
    manifest: str, settings: RunSettings, inputs: Mapping[str, Path | None]
) -> None:
    """UsageError when a file the run writes is also a file it reads or writes.

    `inputs` are the other files it reads, by flag (e.g. `{"--token-file": path}`).
    """
    lock = settings.lock_file
    check_distinct(
        reads={"MANIFEST": Path(manifest), **inputs, "--plan": settings.plan},
        writes={
            "--audit-log": settings.audit_log,
            "--failures-csv": settings.failures_csv,
            "--lock-file": lock,
            "--lock-file's holder file": holder_path_for(lock) if lock else None,
        },
        consequence=NOTHING_SENT,
    )
    check_replaceable_outputs({"--failures-csv": settings.failures_csv}, consequence=NOTHING_SENT)


@dataclass(frozen=True)
class RunFiles:
    """The open files of a run; closed by the ExitStack they were opened on."""

    audit: AuditWriter
    locks: tuple[JobLock, ...]
    failures: FailuresCsvWriter | None


def _tenant(token: AccessToken | None) -> str | None:
    if token is None:  # Interrupted during sign-in: the lock is keyed without a tenant.
        return None
    tenant = (decode_claims(token.token) or {}).get("tid")
    return str(tenant) if tenant else None


def _locks_for(
    settings: RunSettings,
    state_dir: Path,
    manifest: str,
    token: AccessToken | None,
    log: AuditWriter | None,
) -> list[JobLock]:
    """Every lock this run must hold, so no two runs ever share a job.

    Always the manifest+target lock (per shard, so `--shard` runs go side by side), and the
    audit log's lock when one is named: neither can be replaced, so two runs never share an
    audit log nor send one manifest's rows twice to one target. `--lock-file` only adds a lock.
    """
    manifest_id = identity_of(Path(manifest))
    key = (
        manifest_key(manifest_id, settings.base_url, _tenant(token), settings.shard)
        if manifest_id
        else manifest
    )
    locks = [JobLock(lock_path(state_dir, key), job=f"{manifest} against {settings.base_url}")]
    if log is not None:
        log_lock = lock_path(state_dir, audit_log_key(log.identity))
        locks.insert(0, JobLock(log_lock, job=f"the audit log {log.path}"))
    if settings.lock_file is not None:
        locks.append(JobLock(settings.lock_file, job="this job"))
    return locks


def open_run_files(
    stack: ExitStack,
    *,
    settings: RunSettings,
    validation: Validation,
    state_dir: Path,
    token: AccessToken | None,
    audit_path: Path,
    started: RunStarted,
    err: TextIO,
) -> RunFiles:
    """Open the audit log, take the lock, open the failures CSV and write `run.started`.

    A named audit log is opened first, so its lock is keyed on the file it really is; the
    manifest+target lock and any `--lock-file` are taken with it. Raises UsageError (exit
    2) or LockHeldError (exit 4); either way no request has been sent.
    """
    audit: AuditWriter | None = None
    if settings.audit_log is not None:
        audit = stack.enter_context(AuditWriter(audit_path))
    locks = _locks_for(settings, state_dir, validation.file, token, audit)
    for lock in locks:
        stack.enter_context(lock)
        if lock.stale is not None:
            print(
                for_terminal(
                    f"graph-batch: took over the stale lock {lock.path} left by "
                    f"{lock.stale.describe()} (that run died without releasing it)"
                ),
                file=err,
            )
    if audit is None:
        audit = stack.enter_context(AuditWriter(audit_path))
    if audit.tightened_from is not None:
        print(
            for_terminal(
                f"graph-batch: the audit log {audit_path} was readable by others (mode "
                f"{audit.tightened_from:04o}); tightened it to 0600"
            ),
            file=err,
        )
    failures = None
    if settings.failures_csv is not None:
        columns = validation.columns
        if validation.format != "csv":
            columns = yaml_columns([dict.fromkeys(columns, "")])
        failures = stack.enter_context(
            FailuresCsvWriter(settings.failures_csv, columns, bom=starts_with_bom(validation.file))
        )
    try:
        audit.write(started)
    except AuditWriteError as exc:
        raise UsageError(
            f"cannot write the audit log {audit_path}: {exc.reason}; {NOTHING_SENT}"
        ) from exc
    return RunFiles(audit=audit, locks=tuple(locks), failures=failures)
