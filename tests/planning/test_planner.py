"""Fan-out: rows come back in manifest order, bounded, and a refused token stops at one read."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from batch.errors import AuthError
from batch.operations import Cancel
from batch.planning.classify import Classification, PlanRow, read_path
from batch.planning.planner import plan_rows
from batch.planning.reader import ReadResult
from tests.planning.fakes import TableReader


@dataclass(frozen=True)
class Loc:
    """A manifest location."""

    line: int


@dataclass(frozen=True)
class FakeEntry:
    """The three things the planner reads from a manifest entry."""

    index: int
    location: Loc
    operation: Cancel


def entries(count: int) -> list[FakeEntry]:
    """`count` cancel rows on events e0..e{count-1}, lines 2.."""
    return [FakeEntry(n, Loc(n + 2), Cancel(event_id=f"e{n}")) for n in range(count)]


async def test_rows_in_manifest_order_despite_uneven_latency() -> None:
    """Later rows that answer first still come out after earlier ones; at most N in flight."""
    rows = entries(30)
    paths = [read_path(e.operation) for e in rows]
    answers = {p: ReadResult(200, {"status": "published"}) for p in paths[::2]}
    answers |= {p: ReadResult(403, None, "Forbidden") for p in paths[1::2]}
    delays = {p: 0.002 * (30 - n) for n, p in enumerate(paths)}
    seen: list[PlanRow] = []
    reader = TableReader(answers, delays)
    await plan_rows(rows, reader, seen.append, concurrency=4, refused=AuthError("x"))
    assert reader.peak == 4
    assert [r.index for r in seen] == list(range(30))
    assert [r.line for r in seen] == [n + 2 for n in range(30)]
    assert [r.classification for r in seen[:2]] == [
        Classification.WILL_APPLY,
        Classification.FORBIDDEN,
    ]


async def test_first_401_stops_after_one_read() -> None:
    """A token refused on the first GET raises the auth error; nothing else is read."""
    reader = TableReader({read_path(e.operation): ReadResult(401) for e in entries(5)})
    seen: list[PlanRow] = []
    with pytest.raises(AuthError, match="refused"):
        await plan_rows(
            entries(5), reader, seen.append, concurrency=2, refused=AuthError("refused")
        )
    assert (len(reader.calls), seen) == (1, [])


async def test_empty_manifest_reads_nothing() -> None:
    """No entries, no reads, no rows."""
    reader = TableReader({})
    seen: list[PlanRow] = []
    await plan_rows([], reader, seen.append, concurrency=2, refused=AuthError("x"))
    assert (reader.calls, seen) == ([], [])
