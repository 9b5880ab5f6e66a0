"""The sliding-log pacer: never more than N requests in any window, and the class-wide pause."""

from __future__ import annotations

import asyncio

import pytest

from batch.http.pacing import SAFETY_MARGIN, Pacer, estimated_seconds
from batch.settings import RateLimit
from tests.fake_clock import FakeClock


async def _send_all(
    pacer: Pacer, clock: FakeClock, sends: int, latency: float, concurrency: int
) -> list[tuple[float, float]]:
    spans: list[tuple[float, float]] = []
    queue = list(range(sends))

    async def worker() -> None:
        while queue:
            queue.pop()
            async with pacer.slot():
                sent = clock.now()
                await clock.sleep(latency)
                spans.append((sent, clock.now()))

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return sorted(spans)


@pytest.mark.parametrize(
    ("count", "per", "sends", "latency", "concurrency"),
    [(3, 1.0, 10, 0.0, 1), (15, 30.0, 50, 0.2, 4), (1, 2.0, 5, 0.5, 3), (5, 1.0, 40, 0.05, 8)],
)
async def test_a_window_after_every_earlier_finish(
    count: int, per: float, sends: int, latency: float, concurrency: int
) -> None:
    """Request k is sent at least a window after request k-N finished: whenever the server
    stamped them (between send and finish), no window of `per` seconds holds N+1."""
    clock = FakeClock()
    pacer = Pacer(RateLimit(count=count, per_seconds=per), clock)
    spans = await _send_all(pacer, clock, sends, latency, concurrency)
    assert len(spans) == sends
    for k in range(count, sends):
        assert spans[k][0] >= spans[k - count][1] + per


async def test_first_window_goes_at_once_then_paced() -> None:
    """The first N sends do not wait; the N+1th waits one window after the first finished."""
    clock = FakeClock()
    pacer = Pacer(RateLimit(count=3, per_seconds=1.0), clock)
    for _ in range(3):
        async with pacer.slot():
            pass
    assert clock.sleeps == []
    async with pacer.slot():
        pass
    assert clock.sleeps == [pytest.approx(1.0 + SAFETY_MARGIN)]


async def test_full_of_in_flight_waits_for_one_to_end() -> None:
    """With every slot in flight, the next request waits until one of them finishes."""
    clock = FakeClock()
    pacer = Pacer(RateLimit(count=1, per_seconds=1.0), clock)
    order: list[str] = []

    async def first() -> None:
        async with pacer.slot():
            order.append("first sent")
            await clock.sleep(0.5)
            order.append("first done")

    async def second() -> None:
        await asyncio.sleep(0)
        async with pacer.slot():
            order.append("second sent")

    await asyncio.gather(first(), second())
    assert order == ["first sent", "first done", "second sent"]


async def test_pause_holds_everyone_until_it_ends() -> None:
    """A Retry-After pause delays the next sends of the class even with budget left."""
    clock = FakeClock()
    pacer = Pacer(RateLimit(count=100, per_seconds=1.0), clock)
    pacer.throttled(5.0)
    pacer.admitted()
    start = clock.now()

    async def send() -> float:
        async with pacer.slot():
            return clock.now()

    sent = await asyncio.gather(send(), send())
    assert min(sent) - start == pytest.approx(5.0)


async def test_pause_never_shortens() -> None:
    """A shorter later pause does not cut an earlier longer one."""
    clock = FakeClock()
    pacer = Pacer(RateLimit(count=1, per_seconds=1.0), clock)
    pacer.throttled(10.0)
    pacer.throttled(1.0)
    assert pacer.paused_until == pytest.approx(clock.now() + 10.0)


@pytest.mark.parametrize(
    ("count", "limit", "expected"),
    [(10, "15/30s", 0.0), (15, "15/30s", 0.0), (45, "15/30s", 60.0), (3000, "200/1s", 14.0)],
)
def test_estimated_seconds(count: int, limit: str, expected: float) -> None:
    """The estimate is the time after the first free window at the sustained rate."""
    assert estimated_seconds(count, RateLimit.parse(limit)) == pytest.approx(expected)


async def test_after_throttling_restart_one_at_a_time() -> None:
    """After a 429 one request is out; each admitted answer allows one more in flight."""
    clock = FakeClock()
    pacer = Pacer(RateLimit(count=100, per_seconds=1.0), clock)
    pacer.throttled(1.0)
    most = 0
    out = 0

    async def send(*, refused: bool) -> None:
        nonlocal most, out
        async with pacer.slot():
            out += 1
            most = max(most, out)
            await clock.sleep(0.1)
            out -= 1
            if refused:
                pacer.throttled(0.5)
            else:
                pacer.admitted()

    await send(refused=True)
    await asyncio.gather(*(send(refused=False) for _ in range(3)))
    assert most == 2  # one, then two: never all three at once
    await asyncio.gather(*(send(refused=False) for _ in range(5)))
    assert most == 4  # three admitted answers later the cap is four
