"""The read cache: shared targets read once, concurrent askers share one read, memory bounded."""

from __future__ import annotations

import asyncio

import pytest

from batch.planning.cache import CachingReader
from batch.planning.reader import ReadResult
from tests.planning.fakes import TableReader

ANSWERS = {f"/p{n}": ReadResult(200, {"n": n}) for n in range(10)}


async def test_concurrent_askers_share_one_read() -> None:
    """Ten rows on one target at once cost one GET and all get its answer."""
    inner = TableReader(ANSWERS, delays={"/p1": 0.01})
    cache = CachingReader(inner)
    results = await asyncio.gather(*(cache.get("/p1") for _ in range(10)))
    assert inner.calls == ["/p1"]
    assert {r.body["n"] for r in results if r.body} == {1}
    assert cache.hits == 9


async def test_lru_is_bounded() -> None:
    """Beyond max_entries the least recently used path is forgotten and read again."""
    inner = TableReader(ANSWERS)
    cache = CachingReader(inner, max_entries=2)
    for path in ("/p0", "/p1", "/p0", "/p2", "/p0", "/p1"):
        await cache.get(path)
    assert len(cache) == 2
    assert inner.calls == ["/p0", "/p1", "/p2", "/p1"]


def test_rejects_empty_cache() -> None:
    """A cache that can hold nothing is a configuration error."""
    with pytest.raises(ValueError, match="at least 1"):
        CachingReader(TableReader({}), max_entries=0)
