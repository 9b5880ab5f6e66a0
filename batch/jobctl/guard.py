"""`--max-destructive N`: refuse a run that would make more destructive changes than N.

A cap the operator sets for unattended runs, so a wrong or swapped manifest cannot cancel far
more than intended. Which ops are destructive comes from the op models' `destructive` flag; an
op name this version does not know counts as destructive, erring on the side of refusing.
"""

from __future__ import annotations

from collections.abc import Mapping

from batch.operations import OP_NAMES, OPERATIONS

DESTRUCTIVE_OPS = frozenset(op for op, op_class in OPERATIONS.items() if op_class.destructive)
"""Op names whose `destructive` flag is set (cancel, remove-session, cancel-registration)."""


def is_destructive(op: str) -> bool:
    """Whether an op changes or removes something; unknown names count as destructive."""
    return op in DESTRUCTIVE_OPS or op not in OP_NAMES


def check_max_destructive(counts_by_op: Mapping[str, int], limit: int | None) -> str | None:
    """A refusal message when the destructive rows exceed `limit`, else None (None: no cap)."""
    if limit is None:
        return None
    if limit < 0:
        raise ValueError(f"--max-destructive must be 0 or more (got {limit})")
    destructive = {op: n for op, n in sorted(counts_by_op.items()) if n and is_destructive(op)}
    total = sum(destructive.values())
    if total <= limit:
        return None
    detail = ", ".join(f"{op}: {n:,}" for op, n in destructive.items())
    return (
        f"refusing to run: {total:,} destructive operations ({detail}) exceed "
        f"--max-destructive {limit:,}; raise the limit or split the manifest"
    )
