"""Where a job's lock lives: named after what the job is, never after how a path was typed.

Every run holds the lock keyed on its manifest's identity plus the target (the Graph base URL
and tenant, and the shard), and, when an audit log is named, also the one keyed on the audit
log's identity (device and inode, so `./a.jsonl`, `sub/../a.jsonl` and a hard link share one
lock). The lock files are `<state dir>/locks/<hash of the key>.lock` (the state directory of
`graph-batch login`, so per user account); `--lock-file PATH` adds a lock, never replaces these.
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


def manifest_key(
    manifest: FileIdentity, base_url: str, tenant: str | None, shard: str | None = None
) -> str:
    """The lock key of this manifest against this target (and shard, `K/N`, if any)."""
    key = f"manifest {manifest.key()} {base_url} tenant={tenant or '?'}"
    return f"{key} shard={shard}" if shard else key


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
