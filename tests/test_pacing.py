"""The sliding-log pacer: never more than N sends in any window, and the class-wide pause."""

from __future__ import annotations

import asyncio

import pytest

from batch.pacing import Pacer, estimated_seconds
from batch.settings import RateLimit
from tests.fake_clock import FakeClock


def _max_in_window(times: list[float], window: float) -> int:
    return max(sum(1 for t in times if start <= t < start + window) for start in times)


@pytest.mark.parametrize(("count", "per", "sends"), [(3, 1.0, 10), (15, 30.0, 50), (1, 2.0, 5)])
async def test_never_more_than_limit_in_any_window(count: int, per: float, sends: int) -> None:
    """However many acquire, no window of `per` seconds holds more than `count` sends."""
    clock = FakeClock()
    pacer = Pacer(RateLimit(count=count, per_seconds=per), clock)
    times = []
    for _ in range(sends):
        await pacer.acquire()
        times.append(clock.now())
    assert _max_in_window(times, per) == count


async def test_first_window_goes_at_once_then_paced() -> None:
    """The first N sends do not wait; the N+1th waits one window plus the margin."""
    clock = FakeClock()
    pacer = Pacer(RateLimit(count=3, per_seconds=1.0), clock, margin=0.01)
    for _ in range(3):
        await pacer.acquire()
    assert clock.sleeps == []
    await pacer.acquire()
    assert clock.sleeps == [pytest.approx(1.01)]


async def test_pause_holds_everyone_until_it_ends() -> None:
    """A Retry-After pause delays the next send of the class even with budget left."""
    clock = FakeClock()
    pacer = Pacer(RateLimit(count=100, per_seconds=1.0), clock)
    pacer.pause_for(5.0)
    start = clock.now()
    await asyncio.gather(pacer.acquire(), pacer.acquire())
    assert clock.now() - start == pytest.approx(5.0)


async def test_pause_never_shortens() -> None:
    """A shorter later pause does not cut an earlier longer one."""
    clock = FakeClock()
    pacer = Pacer(RateLimit(count=1, per_seconds=1.0), clock)
    pacer.pause_for(10.0)
    pacer.pause_for(1.0)
    assert pacer.paused_until == pytest.approx(clock.now() + 10.0)


@pytest.mark.parametrize(
    ("count", "limit", "expected"),
    [(10, "15/30s", 0.0), (15, "15/30s", 0.0), (45, "15/30s", 60.0), (3000, "200/1s", 14.0)],
)
def test_estimated_seconds(count: int, limit: str, expected: float) -> None:
    """The estimate is the time after the first free window at the sustained rate."""
    assert estimated_seconds(count, RateLimit.parse(limit)) == pytest.approx(expected)
