"""The overview of a run before it starts: who, where, what, how long; and a request preview.

`--dry-run` shows it without a token; the confirmation shows it after sign-in, with the
identity the token speaks for (terraform's plan-then-apply: the user answers knowing all four).
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import islice

from rich.table import Table
from rich.text import Text

from batch.auth.describe import TokenInfo
from batch.display.tables import count, op_order
from batch.durations import format_duration
from batch.http.pacing import estimated_seconds
from batch.jobctl.guard import is_destructive
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


def who(info: TokenInfo) -> str:
    """`user organizer@contoso.com (delegated), tenant 72f9…`: whom the token speaks for."""
    if info.identity is None:
        return "a token graph-batch cannot read (not a JWT): identity and tenant unknown"
    kind = {"delegated": "user", "app-only": "app"}.get(info.kind, "identity")
    text = f"{kind} {info.identity} ({info.kind})"
    return text + (f", tenant {info.tenant}" if info.tenant else "")


def overview(survey: Survey, settings: RunSettings, identity: TokenInfo | None = None) -> Table:
    """who (when signed in), where, what (rows per op, destructive, skipped), how long."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    if identity is not None:
        grid.add_row("who", who(identity))
    grid.add_row("where", settings.api_root)
    what = Text()
    for op in op_order(survey.to_send):
        what.append(f"{op} {count(survey.to_send[op])}\n")
    destructive = destructive_count(survey)
    what.append(f"{count(destructive)} destructive", style="bold red" if destructive else "")
    grid.add_row("what", what)
    for reason, n in survey.skipped.items():
        grid.add_row("skip", Text(f"{count(n)} rows: {reason}", style="yellow"))
    seconds = estimate_seconds(survey, settings)
    grid.add_row(
        "time",
        f"at least {format_duration(seconds)} at {settings.write_limit} writes and "
        f"{settings.read_limit} reads",
    )
    return grid


def preview(requests: Iterable[tuple[str, str]], settings: RunSettings) -> list[str]:
    """The first `PREVIEW_ROWS` requests as `METHOD /version/path` lines."""
    return [
        f"  {method} /{settings.api_version}{path}"
        for method, path in islice(requests, PREVIEW_ROWS)
    ]
