"""A sliding-window limiter: at most N sends in any T seconds, with an injectable clock.

Graph counts reads per app in a sliding window, so the planner paces itself to the window
rather than to an average rate. (The runner's `Pacer` does the same for runs; fold this into it
once both live on main.)
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from typing import Protocol

from batch.settings import RateLimit


class Clock(Protocol):
    """Monotonic time and sleeping, so tests never really wait."""

    def now(self) -> float:
        """Seconds on a monotonic clock."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait `seconds`."""
        ...


class MonotonicClock:
    """The real clock."""

    def now(self) -> float:
        """`time.monotonic()`."""
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        """`asyncio.sleep`, never negative."""
        await asyncio.sleep(max(0.0, seconds))


def safety_margin(limit: RateLimit) -> float:
    """Extra spacing past the window (~1% of it): Graph's window starts when a request
    arrives, ours when it leaves, and a queued first burst arrives late."""
    return min(0.25, max(0.002, limit.per_seconds * 0.01))


class SlidingWindow:
    """Admits at most `limit.count` sends in any `limit.per_seconds`; waiters go in FIFO order."""

    def __init__(self, limit: RateLimit, clock: Clock, margin: float | None = None) -> None:
        self.limit = limit
        self._clock = clock
        self._margin = safety_margin(limit) if margin is None else margin
        self._sends: deque[float] = deque(maxlen=limit.count)
        self._paused_until = 0.0
        self._lock = asyncio.Lock()

    def pause_for(self, seconds: float) -> None:
        """Hold every send for `seconds` from now: a Retry-After pauses the class, not one row."""
        self._paused_until = max(self._paused_until, self._clock.now() + seconds)

    def _next_allowed(self) -> float:
        allowed = self._paused_until
        if len(self._sends) == self.limit.count:
            allowed = max(allowed, self._sends[0] + self.limit.per_seconds + self._margin)
        return allowed

    async def acquire(self) -> None:
        """Wait until one more send fits in the window, then record it."""
        async with self._lock:
            while (wait := self._next_allowed() - self._clock.now()) > 0:
                await self._clock.sleep(wait)
            self._sends.append(self._clock.now())
