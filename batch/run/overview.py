"""The overview of a run before it starts: rows per op, time estimate, request preview."""

from __future__ import annotations

from collections.abc import Iterable
from itertools import islice

from batch.durations import format_duration
from batch.http.pacing import estimated_seconds
from batch.jobctl.guard import is_destructive
from batch.operations import OP_NAMES
from batch.run.selection import Survey
from batch.run.settings import RunSettings

PREVIEW_ROWS = 20


def estimate_seconds(survey: Survey, settings: RunSettings) -> float:
    """Least time the limits allow for the rows to send (reads and writes pace separately)."""
    reads = sum(n for op, n in survey.to_send.items() if not is_destructive(op))
    return max(
        estimated_seconds(survey.writes, settings.write_limit),
        estimated_seconds(reads, settings.read_limit),
    )


def destructive_count(survey: Survey) -> int:
    """How many rows to send change something."""
    return sum(n for op, n in survey.to_send.items() if is_destructive(op))


def describe(survey: Survey, settings: RunSettings) -> str:
    """Rows per operation, rows skipped, and the estimated time: several lines."""
    lines = [f"  {op:<22} {survey.to_send[op]:>8}" for op in OP_NAMES if survey.to_send.get(op)]
    lines += [f"  {'skipped: ' + reason:<22} {n:>8}" for reason, n in survey.skipped.items()]
    lines.append(
        f"Estimated time at {settings.write_limit} writes and {settings.read_limit} reads: "
        f"at least {format_duration(estimate_seconds(survey, settings))}"
    )
    return "\n".join(lines)


def preview(requests: Iterable[tuple[str, str]], settings: RunSettings) -> list[str]:
    """The first `PREVIEW_ROWS` requests as `METHOD /version/path` lines."""
    return [
        f"  {method} /{settings.api_version}{path}"
        for method, path in islice(requests, PREVIEW_ROWS)
    ]
