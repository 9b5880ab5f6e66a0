"""Client-side pacing: keep each request class at, never above, its rate limit.

Graph counts requests in a sliding window per app, and every request sent while throttled
counts too, so the cheapest throttling is the one that never happens. A `Pacer` is a sliding
log (the send times of the last N requests): the next send may go at `oldest + window + margin`.
It also holds the class-wide pause set by a `Retry-After`, so one 429 pauses every request of
its class, not only the one that got it.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from typing import Protocol

from batch.operations import RequestClass
from batch.settings import RateLimit


class Clock(Protocol):
    """Monotonic time and sleeping, injectable so tests never really wait."""

    def now(self) -> float:
        """Seconds on a monotonic clock."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait `seconds` (or return at once in a test)."""
        ...


class MonotonicClock:
    """The real clock: `time.monotonic` and `asyncio.sleep`."""

    def now(self) -> float:
        """Seconds on the monotonic clock."""
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        """Sleep for real."""
        await asyncio.sleep(max(0.0, seconds))


def safety_margin(limit: RateLimit) -> float:
    """Extra spacing beyond the window: covers clock and network jitter, ~1% of the window."""
    return min(0.25, max(0.002, limit.per_seconds * 0.01))


class Pacer:
    """Sliding-log limiter plus a shared "paused until" gate for one request class."""

    def __init__(self, limit: RateLimit, clock: Clock, margin: float | None = None) -> None:
        self.limit = limit
        self._clock = clock
        self._margin = safety_margin(limit) if margin is None else margin
        self._sends: deque[float] = deque(maxlen=limit.count)
        self._paused_until = 0.0
        # A lock keeps waiters in FIFO order, so no request starves behind later ones.
        self._lock = asyncio.Lock()

    def next_allowed(self) -> float:
        """The earliest monotonic time the next request of this class may be sent."""
        allowed = self._paused_until
        if len(self._sends) == self.limit.count:
            allowed = max(allowed, self._sends[0] + self.limit.per_seconds + self._margin)
        return allowed

    async def acquire(self) -> None:
        """Wait until a send is allowed, then record it; call once per HTTP attempt."""
        async with self._lock:
            while (wait := self.next_allowed() - self._clock.now()) > 0:
                await self._clock.sleep(wait)
            self._sends.append(self._clock.now())

    def pause_for(self, seconds: float) -> None:
        """Hold every request of this class for `seconds` from now (a Retry-After)."""
        self._paused_until = max(self._paused_until, self._clock.now() + seconds)

    @property
    def paused_until(self) -> float:
        """Monotonic time the class-wide pause ends (in the past when not paused)."""
        return self._paused_until


class Pacers:
    """One `Pacer` per request class, so reads never wait behind the write budget."""

    def __init__(self, write_limit: RateLimit, read_limit: RateLimit, clock: Clock) -> None:
        self._by_class = {
            RequestClass.WRITE: Pacer(write_limit, clock),
            RequestClass.READ: Pacer(read_limit, clock),
        }

    def __getitem__(self, request_class: RequestClass) -> Pacer:
        return self._by_class[request_class]


def estimated_seconds(count: int, limit: RateLimit) -> float:
    """Least time `count` requests take at `limit`: the first window's worth go at once."""
    if count <= limit.count:
        return 0.0
    return (count - limit.count) / limit.per_second
