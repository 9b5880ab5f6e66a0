"""What a run is about to do, told before it does it: counts, time estimate, request preview."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import islice

from batch.operations import OP_NAMES, Cancel, CancelRegistration, GetSession, RemoveSession
from batch.pacing import estimated_seconds
from batch.progress import format_duration
from batch.run_settings import RunSettings

PREVIEW_ROWS = 20
_DESTRUCTIVE = frozenset(
    cls.model_fields["op"].default
    for cls in (Cancel, RemoveSession, CancelRegistration, GetSession)
    if cls.destructive
)


@dataclass(frozen=True)
class Plan:
    """Counts per operation (duplicates excluded) and the least time the limits allow."""

    counts: Mapping[str, int]
    duplicates: int
    estimated_seconds: float

    @classmethod
    def build(cls, counts_by_op: Mapping[str, int], duplicates: int, settings: RunSettings) -> Plan:
        """The plan for a validated manifest under `settings`."""
        writes = sum(n for op, n in counts_by_op.items() if op in _DESTRUCTIVE)
        reads = sum(n for op, n in counts_by_op.items() if op not in _DESTRUCTIVE)
        # Duplicates are not sent; assume they are writes, the budget that matters.
        writes = max(0, writes - duplicates)
        estimate = max(
            estimated_seconds(writes, settings.write_limit),
            estimated_seconds(reads, settings.read_limit),
        )
        return cls(dict(counts_by_op), duplicates, estimate)

    @property
    def destructive(self) -> int:
        """How many rows change something."""
        return sum(n for op, n in self.counts.items() if op in _DESTRUCTIVE)

    def describe(self, settings: RunSettings) -> str:
        """Counts per operation and the estimated time, several lines."""
        lines = [f"  {op:<20} {self.counts[op]:>8}" for op in OP_NAMES if self.counts.get(op)]
        if self.duplicates:
            lines.append(f"  {'(duplicates, skipped)':<20} {self.duplicates:>8}")
        lines.append(
            f"Estimated time at {settings.write_limit} writes / {settings.read_limit} reads: "
            f"at least {format_duration(self.estimated_seconds)}"
        )
        return "\n".join(lines)


def preview(requests: Iterable[tuple[str, str]], settings: RunSettings) -> list[str]:
    """The first `PREVIEW_ROWS` requests as `METHOD /version/path` lines."""
    return [
        f"  {method} /{settings.api_version}{path}"
        for method, path in islice(requests, PREVIEW_ROWS)
    ]
