"""At most N requests in flight (`--concurrency`), not counting rows waiting out a retry delay.

A row told `Retry-After: 10` must not send for 10 s (Graph counts requests sent while
throttled: https://learn.microsoft.com/en-us/graph/throttling), but nothing says the other
rows must wait with it. Holding a worker through that wait stalled whole runs: one overshoot
refuses about N requests at once, all N rows sleep, and nothing is sent until they wake
(`make bench`, the budget halving under a constant `Retry-After: 10`: 1.17 times the ideal
time holding the seats, 1.09 giving them up).

So a row holds a seat (`Seats.taken`) while it runs, and its retry sleep (`seatless`) gives
the seat up: another row takes it at once, and the sleeper takes one again when its wait is
over, first in, first out behind rows already waiting (`asyncio.Semaphore` wakes its waiters
in order). The seat travels in a context variable, so code deep in a row (the executor's
retries, a plan's reads) gives up whatever seat its task holds without being handed it, and
a wait outside any seat (pre-flight) just sleeps.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass

Sleep = Callable[[float], Awaitable[None]]


@dataclass
class _Seat:
    """One holder's seat, shared with the tasks it starts (they inherit the context)."""

    seats: asyncio.Semaphore
    held: bool = True
    """False while given up, or lost to a cancellation."""
    open: bool = True
    """False once its `taken` block is left: a task that outlived it (a plan's shared read)
    must not take a seat again that nobody would give back."""


_SEAT: ContextVar[_Seat | None] = ContextVar("graph_batch_seat", default=None)


class Seats:
    """`count` seats; a task (and the tasks it starts) holds at most one."""

    def __init__(self, count: int) -> None:
        if count < 1:
            raise ValueError("need at least one seat")
        self.count = count
        self._semaphore = asyncio.Semaphore(count)

    @asynccontextmanager
    async def taken(self) -> AsyncIterator[None]:
        """Wait for a seat (in turn) and hold it for the block, except while `seatless`."""
        await self._semaphore.acquire()
        seat = _Seat(self._semaphore)
        token = _SEAT.set(seat)
        try:
            yield
        finally:
            _SEAT.reset(token)
            seat.open = False
            if seat.held:
                seat.held = False
                self._semaphore.release()


def seatless(sleep: Sleep) -> Sleep:
    """`sleep`, giving up the current task's seat for the wait and taking one again after.

    Cancelled while asleep or waiting for a seat again, the task holds none and `taken`
    releases nothing on the way out.
    """

    async def wait(seconds: float) -> None:
        seat = _SEAT.get()
        if seat is None or not seat.held:
            await sleep(seconds)
            return
        seat.held = False
        seat.seats.release()
        await sleep(seconds)
        await seat.seats.acquire()
        if seat.open:
            seat.held = True
        else:
            seat.seats.release()

    return wait
