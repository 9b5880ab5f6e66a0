"""The end-of-run summary table printed on stdout."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from pathlib import Path

from batch.audit.records import Outcome

_OUTCOMES = tuple(outcome.value for outcome in Outcome)


def render_summary(
    counts: Counter[str],
    by_op: Mapping[str, Counter[str]],
    *,
    requests: int,
    throttled: int,
    elapsed: float,
    audit_log: Path,
    exit_code: int,
) -> str:
    """A small table: rows per outcome and per operation, traffic, time, audit log path."""
    head = f"{'operation':<22}" + "".join(f"{name:>14}" for name in _OUTCOMES)
    lines = ["", "graph-batch run summary", head, "-" * len(head)]
    for op in sorted(by_op):
        lines.append(f"{op:<22}" + "".join(f"{by_op[op][name]:>14}" for name in _OUTCOMES))
    lines.append("-" * len(head))
    lines.append(f"{'total':<22}" + "".join(f"{counts[name]:>14}" for name in _OUTCOMES))
    lines.append(
        f"requests sent: {requests}   throttled (429): {throttled}   elapsed: {elapsed:.1f}s   "
        f"exit code: {exit_code}"
    )
    lines.append(f"audit log: {audit_log}")
    return "\n".join(lines)
