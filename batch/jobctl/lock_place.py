"""Where a job's lock lives: named after what the job is, never after how a path was typed.

A run's lock is keyed on the identity of its audit log (device and inode, so `./a.jsonl`,
`sub/../a.jsonl` and a hard link share one lock), or, when no audit log is named (each run
then gets a fresh one), on the manifest's identity plus the target: the Graph base URL and
tenant. The lock file is `<state dir>/locks/<hash of the key>.lock` (the state directory of
`graph-batch login`, so it is per user account), unless `--lock-file PATH` names one.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from batch.errors import UsageError
from batch.files.identity import FileIdentity
from batch.files.private import describe

LOCKS_DIR = "locks"
DIR_MODE = 0o700


def audit_log_key(log: FileIdentity) -> str:
    """The lock key of a job that names its audit log."""
    return f"audit-log {log.key()}"


def manifest_key(manifest: FileIdentity, base_url: str, tenant: str | None) -> str:
    """The lock key of a job with no audit log named: this manifest against this target."""
    return f"manifest {manifest.key()} {base_url} tenant={tenant or '?'}"


def lock_path(state_dir: Path, key: str) -> Path:
    """The lock file for `key` under `state_dir`, creating its 0700 directory."""
    directory = state_dir / LOCKS_DIR
    try:
        directory.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(
            f"cannot create the lock directory {directory}: {describe(exc)} (set "
            "GRAPH_BATCH_STATE_DIR, or pass --lock-file)"
        ) from exc
    digest = hashlib.sha256(key.encode("utf-8", errors="replace")).hexdigest()[:32]
    return directory / f"{digest}.lock"
