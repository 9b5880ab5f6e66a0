"""Fan the manifest's reads out with bounded concurrency and hand back rows in manifest order.

The first row is read alone: a token Graph refuses outright (401) stops the plan there, with one
request sent, instead of filling a plan with thousands of `forbidden` rows.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Iterable
from typing import Protocol

from batch.errors import AuthError, GraphBatchError
from batch.http.seats import Seats
from batch.operations import RemoveSession
from batch.planning.classify import AnyOperation, PlanRow, classify, existence_verdict, read_path
from batch.planning.reader import Reader
from batch.readback import Reach, existence_paths, verification_read


class _Location(Protocol):
    @property
    def line(self) -> int: ...


class PlannableEntry(Protocol):
    """What the planner needs of a manifest entry (`batch.manifest.Entry` has it)."""

    @property
    def index(self) -> int:
        """0-based position among the manifest's operations."""
        ...

    @property
    def location(self) -> _Location:
        """Where the row is written; `.line` is what people see."""
        ...

    @property
    def operation(self) -> AnyOperation:
        """The validated operation."""
        ...


async def plan_row(entry: PlannableEntry, reader: Reader, reach: Reach) -> PlanRow:
    """Read what `entry` targets and classify it, with reads the token may make (as a run does).

    A remove-session whose sessions list is out of the token's reach (`reach`) is classified
    from reads of its registration and its session: `not-found`, or `unknown`.
    """
    op = entry.operation
    where = (entry.index, entry.location.line, op)
    if not isinstance(op, RemoveSession):
        return classify(*where, await reader.get(read_path(op)))
    kind, path = verification_read(op)
    if not reach.refused(kind):
        result = await reader.get(path)
        if not reach.note(kind, result.status):
            return classify(*where, result)
    results = [await reader.get(each) for each in existence_paths(op)]
    telling = next((r for r in results if r.status != 200), results[-1])
    return classify(*where, telling, existence_verdict(op, results))


async def plan_rows(
    entries: Iterable[PlannableEntry],
    reader: Reader,
    on_row: Callable[[PlanRow], None],
    *,
    concurrency: int,
    refused: AuthError,
) -> None:
    """Plan every entry, calling `on_row` in manifest order; raise `refused` on a first 401."""
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    rows = iter(entries)
    first = next(rows, None)
    if first is None:
        return
    reach = Reach()
    row = await plan_row(first, reader, reach)
    if row.status == 401:
        raise refused
    on_row(row)
    seats = Seats(concurrency)  # A read waiting out a retry delay gives its seat up.

    async def bounded(entry: PlannableEntry) -> PlanRow:
        async with seats.taken():
            return await plan_row(entry, reader, reach)

    # A look-ahead window bounds how many finished rows wait for a slower earlier one.
    window: deque[asyncio.Task[PlanRow]] = deque()
    try:
        async with asyncio.TaskGroup() as group:
            for entry in rows:
                window.append(group.create_task(bounded(entry)))
                if len(window) >= concurrency * 4:
                    on_row(await window.popleft())
            while window:
                on_row(await window.popleft())
    except* GraphBatchError as failures:
        # Expected failures (a credential that stops working) reach the CLI as themselves.
        raise failures.exceptions[0] from None
