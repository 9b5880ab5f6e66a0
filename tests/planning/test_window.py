"""The sliding-window read limiter: N per T seconds, FIFO, and class-wide pauses."""

from __future__ import annotations

import asyncio

import pytest

from batch.planning.window import SlidingWindow
from batch.settings import RateLimit
from tests.planning.fakes import StepClock


async def test_at_most_n_in_any_window() -> None:
    """The (N+1)th send waits until the first leaves the window; no two windows overfill."""
    clock = StepClock()
    window = SlidingWindow(RateLimit(count=3, per_seconds=10), clock, margin=0.0)
    sent: list[float] = []
    for _ in range(7):
        await window.acquire()
        sent.append(clock.now())
    assert sent == [100.0, 100.0, 100.0, 110.0, 110.0, 110.0, 120.0]
    assert all(sent[i + 3] - sent[i] >= 10 for i in range(len(sent) - 3))


async def test_pause_holds_every_sender() -> None:
    """A Retry-After pause delays the next send even when the window has room."""
    clock = StepClock()
    window = SlidingWindow(RateLimit(count=100, per_seconds=1), clock)
    window.pause_for(2.5)
    await window.acquire()
    assert clock.now() == 102.5


async def test_concurrent_waiters_all_admitted() -> None:
    """Many concurrent acquirers are all admitted, each window holding at most N."""
    clock = StepClock()
    window = SlidingWindow(RateLimit(count=2, per_seconds=5), clock, margin=0.0)
    times: list[float] = []

    async def one() -> None:
        await window.acquire()
        times.append(clock.now())

    async with asyncio.TaskGroup() as group:
        for _ in range(6):
            group.create_task(one())
    assert sorted(times) == [100.0, 100.0, 105.0, 105.0, 110.0, 110.0]


async def test_default_margin_spaces_windows() -> None:
    """By default the next window opens a little (1% of it) after the first one closes."""
    clock = StepClock()
    window = SlidingWindow(RateLimit(count=1, per_seconds=10), clock)
    await window.acquire()
    await window.acquire()
    assert clock.now() == pytest.approx(110.1)
