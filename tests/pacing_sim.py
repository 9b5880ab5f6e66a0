"""A simulated Graph budget on virtual time, to drive `Pacer`s through many windows at once.

`VirtualClock` is a clock several tasks can sleep on together: time jumps to the earliest
wake-up once every task is waiting (unlike `FakeClock`, where each sleep adds to the time).
`Budget` is a server-side throttle of one of the shapes a real service may have; `drive` sends
requests through a pacer against it the way the runner does.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import math
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from batch.http.pacing import Pacer
from batch.settings import RateLimit

Shape = Literal["sliding", "fixed", "bucket"]


class VirtualClock:
    """Monotonic virtual time shared by many tasks; `run` advances it when all are waiting."""

    def __init__(self, start: float = 1000.0) -> None:
        self.time = start
        self._timers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    def now(self) -> float:
        """The current virtual time."""
        return self.time

    async def sleep(self, seconds: float) -> None:
        """Wait until virtual time has moved `seconds` on."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._timers, (self.time + max(0.0, seconds), next(self._order), future))
        await future

    async def run(self, *tasks: asyncio.Task[Any]) -> None:
        """Let the tasks run, moving time to the next wake-up whenever they are all waiting."""
        while not all(task.done() for task in tasks):
            for _ in range(40):  # Enough turns for every runnable task to reach its next wait.
                await asyncio.sleep(0)
            if self._timers:
                when, _, future = heapq.heappop(self._timers)
                self.time = max(self.time, when)
                future.set_result(None)
        for task in tasks:
            task.result()


@dataclass
class Budget:
    """One app's budget as the server keeps it: `count` per `window` seconds, of one shape.

    `retry_after` None answers the time until a request would be admitted; a number is sent
    as is (a constant); `missing=True` sends no `Retry-After` at all. Rejected requests count.
    """

    count: int
    window: float
    shape: Shape = "sliding"
    retry_after: float | None = None
    missing: bool = False
    stamps: deque[float] = field(default_factory=deque)
    tokens: float = -1.0
    refilled: float = 0.0
    fixed: dict[int, int] = field(default_factory=dict)

    def admit(self, now: float) -> tuple[bool, float | None]:
        """Whether a request arriving `now` is admitted, and the `Retry-After` if not."""
        admitted, wait = getattr(self, f"_{self.shape}")(now)
        if admitted or self.missing:
            return admitted, None
        return False, self.retry_after if self.retry_after is not None else wait

    def _sliding(self, now: float) -> tuple[bool, float]:
        while self.stamps and self.stamps[0] <= now - self.window:
            self.stamps.popleft()
        self.stamps.append(now)
        if len(self.stamps) <= self.count:
            return True, 0.0
        return False, self.stamps[-self.count - 1] + self.window - now

    def _fixed(self, now: float) -> tuple[bool, float]:
        index = math.floor(now / self.window)
        self.fixed[index] = self.fixed.get(index, 0) + 1
        return self.fixed[index] <= self.count, (index + 1) * self.window - now

    def _bucket(self, now: float) -> tuple[bool, float]:
        rate = self.count / self.window
        if self.tokens < 0:
            self.tokens, self.refilled = float(self.count), now
        self.tokens = min(float(self.count), self.tokens + (now - self.refilled) * rate)
        self.refilled = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True, 0.0
        return False, (1 - self.tokens) / rate


@dataclass
class Tally:
    """What one driven pacer got: when each answer came and whether it was admitted."""

    answers: list[tuple[float, bool]] = field(default_factory=list)

    @property
    def refused(self) -> int:
        """Requests answered 429."""
        return sum(1 for _, ok in self.answers if not ok)

    def admitted_between(self, start: float, end: float) -> int:
        """Requests admitted with answers in [start, end)."""
        return sum(1 for t, ok in self.answers if ok and start <= t < end)

    def refused_between(self, start: float, end: float) -> int:
        """Requests refused (429) with answers in [start, end)."""
        return sum(1 for t, ok in self.answers if not ok and start <= t < end)


def converged(tally: Tally, since: float, budget: int, window: float) -> int | None:
    """Windows from `since` to the first with >= 80 % of `budget` admitted and <= one 429
    (a probe), as `make bench` counts them; None if not within 12 windows."""
    for k in range(12):
        start = since + k * window
        if (
            tally.admitted_between(start, start + window) >= 0.8 * budget
            and tally.refused_between(start, start + window) <= 1
        ):
            return k + 1
    return None


async def drive(
    pacer: Pacer,
    budget: Budget,
    clock: VirtualClock,
    *,
    until: float,
    concurrency: int = 4,
    latency: float = 0.05,
    counted_at: Sequence[float] = (0.5,),
    start: float = 0.0,
    rows: int | None = None,
    on_time: Callable[[float], None] = lambda now: None,
    waiting_frees_seat: bool = False,
) -> Tally:
    """Send through `pacer` against `budget` from `start` until virtual time `until`, or, given
    `rows`, until that many requests were admitted (a run of that many rows; `until` ignored).

    The server counts each request the next of `counted_at` (cycled) of the way through its
    round trip: 0.5 is halfway, 1 a slow way in and an instant answer, 0 the reverse, as
    on a loaded machine. A refused request is retried (after its `Retry-After`, or 1 s) as
    the runner would, so nothing is lost; with `waiting_frees_seat` the row waits without
    holding one of the `concurrency` seats, as the runner's rows do, and another row takes it.
    """
    tally = Tally()
    shares = itertools.cycle(counted_at)
    left = [rows]
    await clock.sleep(start)

    def more() -> bool:
        if left[0] is None:
            return clock.now() < until
        left[0] -= 1
        return left[0] >= 0

    seats = asyncio.Semaphore(concurrency)
    pacer.remaining = rows  # as the runner tells it: requests not yet through

    async def worker() -> None:
        retry = False
        while retry or more():
            async with seats, pacer.slot() as slot:
                way_in = latency * next(shares)
                await clock.sleep(way_in)
                on_time(clock.now())
                admitted, retry_after = budget.admit(clock.now())
                await clock.sleep(latency - way_in)
                tally.answers.append((clock.now(), admitted))
                if admitted:
                    slot.admitted()
                    if pacer.remaining is not None:
                        pacer.remaining -= 1
                else:
                    slot.throttled(retry_after)
            retry = not admitted
            if retry:
                await clock.sleep(retry_after if retry_after is not None else 1.0)

    workers = concurrency * (4 if waiting_frees_seat else 1)
    await asyncio.gather(*(worker() for _ in range(workers)))
    return tally


async def run_rows(
    budget: Budget,
    clock: VirtualClock,
    told: str,
    rows: Sequence[int],
    *,
    concurrency: int = 4,
    latency: float = 0.015,
) -> list[Tally]:
    """Runs of `rows[k]` rows each, every one with its own pacer told `told`, sending together
    against one `budget` as the runner's rows do (a row waiting out a retry gives up its
    seat) until all are through; their tallies, in the order of `rows`."""
    tasks = [
        asyncio.create_task(
            drive(
                Pacer(RateLimit.parse(told), clock, "write"),
                budget,
                clock,
                until=0.0,
                rows=count,
                concurrency=concurrency,
                latency=latency,
                waiting_frees_seat=True,
            )
        )
        for count in rows
    ]
    await clock.run(*tasks)
    return [task.result() for task in tasks]
