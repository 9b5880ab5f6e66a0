"""Client-side pacing: keep each request class at, never above, its rate limit.

Graph counts requests in a sliding window per app, and every request sent while throttled
counts too, so the cheapest throttling is the one that never happens. A `Pacer` is a sliding
log of the last N requests: at most N in any window. It also holds the class-wide pause set by
a `Retry-After`, so one 429 pauses every request of its class, not only the one that got it.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
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


SAFETY_MARGIN = 0.001
"""Seconds added to every window edge, so equal timestamps never count twice."""


class Pacer:
    """Sliding-log limiter plus a shared "paused until" gate for one request class.

    The log holds when each request *finished* (answer received, or failed), not when it was
    sent: the server stamped it at some moment in between, so a new request sent a window
    after the oldest finish can never share a server-side window with it, whatever the network
    or event-loop jitter. Requests in flight hold a slot with no expiry yet.

    After a throttling answer the class restarts slowly: once the pause is over one request
    goes, and each answer let through allows one more in flight (1, 2, 3, ...), so a budget
    someone else is using up is not hit with `concurrency` requests at once that would each be
    refused (and each count against the limit). Another 429 starts over at one.
    """

    def __init__(self, limit: RateLimit, clock: Clock) -> None:
        self.limit = limit
        self._clock = clock
        self._finished: deque[float] = deque()
        self._in_flight = 0
        self._paused_until = 0.0
        self._ramp: int | None = None
        """In-flight cap while recovering from throttling; None when not recovering."""
        self._slot_freed = asyncio.Event()
        # A lock keeps waiters in FIFO order, so no request starves behind later ones.
        self._lock = asyncio.Lock()

    def _wait_time(self) -> float | None:
        """Seconds until a send is allowed (0: now; None: when an in-flight request ends)."""
        now = self._clock.now()
        window_start = now - self.limit.per_seconds - SAFETY_MARGIN
        while self._finished and self._finished[0] <= window_start:
            self._finished.popleft()
        wait = self._paused_until - now
        if self._ramp is not None and self._in_flight >= self._ramp:
            return None
        if self._in_flight + len(self._finished) >= self.limit.count:
            if not self._finished:
                return None
            wait = max(wait, self._finished[0] - window_start)
        return max(0.0, wait)

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold one send slot for the duration of one HTTP attempt."""
        async with self._lock:
            while (wait := self._wait_time()) != 0:
                if wait is None:
                    self._slot_freed.clear()
                    await self._slot_freed.wait()
                else:
                    await self._clock.sleep(wait)
            self._in_flight += 1
        try:
            yield
        finally:
            self._in_flight -= 1
            self._finished.append(self._clock.now())
            self._slot_freed.set()

    def throttled(self, retry_after: float | None) -> None:
        """A throttling answer: pause the class for `retry_after` seconds, then restart at one."""
        self._ramp = 1
        if retry_after is not None:
            self._paused_until = max(self._paused_until, self._clock.now() + retry_after)

    def admitted(self) -> None:
        """An answer the server let through: one more request may be in flight."""
        if self._ramp is not None:
            self._ramp = self._ramp + 1 if self._ramp < self.limit.count else None
            self._slot_freed.set()

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
