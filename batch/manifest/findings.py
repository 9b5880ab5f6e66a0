"""A validation as people read it: the problems (at most 100), then one summary line.

`validate` prints it on stdout; `run` and `plan` print it on stderr when they refuse a manifest,
so all three say the same thing the same way.
"""

from __future__ import annotations

from batch.manifest.loader import MAX_LISTED, Validation
from batch.manifest.problems import Problem


def listed(validation: Validation) -> list[Problem]:
    """The problems to show for a file, errors and warnings merged in line order, at most 100."""
    merged = sorted((*validation.errors, *validation.warnings), key=lambda p: p.line or 0)
    return merged[:MAX_LISTED]


def summary(validation: Validation) -> str:
    """One line saying what a file holds and whether it is valid."""
    ops = ", ".join(f"{op} {count}" for op, count in sorted(validation.counts_by_op.items()))
    verdict = "valid" if validation.ok else f"INVALID ({plural(validation.error_count, 'error')})"
    parts = [f"{validation.file}: {verdict}", plural(validation.operation_count, "operation")]
    if ops:
        parts[-1] += f" ({ops})"
    if validation.warning_count:
        parts.append(plural(validation.warning_count, "warning"))
    return ", ".join(parts)


def findings(validation: Validation, *, suffix: str = "") -> list[str]:
    """The listed problems, `... and N more problems` when some are hidden, the summary line."""
    shown = listed(validation)
    lines = [str(problem) for problem in shown]
    hidden = validation.error_count + validation.warning_count - len(shown)
    if hidden > 0:
        lines.append(f"... and {hidden:,} more {'problem' if hidden == 1 else 'problems'}")
    lines.append(summary(validation) + suffix)
    return lines


def plural(count: int, noun: str) -> str:
    """`1 error`, `1,234 operations`."""
    return f"{count:,} {noun}{'' if count == 1 else 's'}"
