"""Counting plan rows: per classification, per op, and the first rows that need attention."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from batch.jobctl.guard import is_destructive
from batch.planning.classify import NEEDS_ATTENTION, WILL_SEND, Classification, PlanRow

MAX_LISTED = 20
"""The summary lists at most this many rows that need attention (plan.json has them all)."""


@dataclass
class PlanTally:
    """Rows per classification and per (op, classification), filled one row at a time."""

    counts: Counter[Classification] = field(default_factory=Counter)
    by_op: dict[str, Counter[Classification]] = field(default_factory=dict)
    attention: list[PlanRow] = field(default_factory=list)
    """The first `MAX_LISTED` rows that are not-found, forbidden or error."""

    def add(self, row: PlanRow) -> None:
        """Count one row."""
        self.counts[row.classification] += 1
        self.by_op.setdefault(row.op, Counter())[row.classification] += 1
        if row.classification in NEEDS_ATTENTION and len(self.attention) < MAX_LISTED:
            self.attention.append(row)

    @property
    def total(self) -> int:
        """Rows counted."""
        return sum(self.counts.values())

    @property
    def will_apply_writes(self) -> int:
        """Rows a run would send as a write (reads that "apply" are not writes)."""
        return sum(n[c] for op, n in self.by_op.items() if is_destructive(op) for c in WILL_SEND)

    @property
    def needs_attention(self) -> bool:
        """Whether any row is not-found, forbidden or error (plan exits 1)."""
        return any(self.counts[c] for c in NEEDS_ATTENTION)

    def counts_json(self) -> dict[str, int]:
        """Every classification with its count (zeros included), for plan.json."""
        return {c.value: self.counts[c] for c in Classification}

    def by_op_json(self) -> dict[str, dict[str, int]]:
        """Non-zero counts per op, for plan.json."""
        return {
            op: {c.value: n for c, n in counts.items() if n}
            for op, counts in sorted(self.by_op.items())
        }
