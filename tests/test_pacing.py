"""The pacer: a sliding log at the learned level, the class-wide pause, and the learning itself
(against simulated budgets of several shapes on virtual time, so nothing really waits)."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Sequence

import pytest

from batch.http.pacing import SAFETY_MARGIN, Pacer, Pacers, estimated_seconds
from batch.operations import RequestClass
from batch.settings import RateLimit
from tests.fake_clock import FakeClock
from tests.pacing_sim import Budget, Shape, Tally, VirtualClock, converged, drive, run_rows


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
    """No window of `per` seconds holds more than N sends: a request counted on arrival never
    finds N others in its window."""
    clock = FakeClock()
    pacer = Pacer(RateLimit(count=count, per_seconds=per), clock)
    spans = await _send_all(pacer, clock, sends, latency, concurrency)
    assert len(spans) == sends
    for k in range(count, sends):
        assert spans[k][0] >= spans[k - count][0] + per


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
    pacer = Pacer(RateLimit(count=100, per_seconds=20.0), clock)
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
    pacer = Pacer(RateLimit(count=1, per_seconds=60.0), clock)
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
    pacer = Pacer(RateLimit(count=100, per_seconds=60.0), clock)
    for _ in range(50):
        async with pacer.slot() as slot:
            slot.admitted()
    await clock.sleep(61.0)  # past the first window, whose top goes out two at a time anyway
    most = 0
    out = 0

    async def send(*, refused: bool) -> None:
        nonlocal most, out
        async with pacer.slot() as slot:
            out += 1
            most = max(most, out)
            await clock.sleep(0.1)
            out -= 1
            if refused:
                slot.throttled(0.5)
            else:
                slot.admitted()

    await send(refused=True)
    await asyncio.gather(*(send(refused=False) for _ in range(3)))
    assert most == 2  # one, then two: never all three at once
    await asyncio.gather(*(send(refused=False) for _ in range(5)))
    assert most == 4  # three admitted answers later the cap is four


def test_pause_is_clamped_to_half_a_window() -> None:
    """A Retry-After longer than the window (a constant 10 s) pauses half a window, no more."""
    clock = FakeClock()
    pacer = Pacer(RateLimit(count=100, per_seconds=5.0), clock)
    pacer.throttled(10.0)
    assert pacer.paused_until == pytest.approx(clock.now() + 2.5)


async def _learn(
    budget: Budget,
    ceiling: str,
    *,
    windows: int = 40,
    concurrency: int = 4,
    counted_at: Sequence[float] = (0.5,),
) -> tuple[Pacer, Tally, float]:
    clock = VirtualClock()
    pacer = Pacer(RateLimit.parse(ceiling), clock, "write")
    started = clock.now()
    until = started + windows * budget.window
    task = asyncio.create_task(
        drive(pacer, budget, clock, until=until, concurrency=concurrency, counted_at=counted_at)
    )
    await clock.run(task)
    return pacer, task.result(), until


@pytest.mark.parametrize(
    "budget",
    [
        Budget(100, 5.0),
        Budget(100, 5.0, shape="fixed"),
        Budget(100, 5.0, shape="bucket", missing=True),
        Budget(100, 5.0, retry_after=10.0),
        Budget(100, 5.0, shape="fixed", retry_after=0.25),
    ],
    ids=["sliding", "fixed-window", "token-bucket-no-retry-after", "constant-10s", "fractional"],
)
async def test_learns_the_admitted_rate_below_the_ceiling(budget: Budget) -> None:
    """Told 150/5s where 100/5s is admitted, the pacer settles at the admitted level, uses most
    of it, and few requests are refused, whatever the shape of the server's throttling."""
    pacer, tally, until = await _learn(budget, "150/5s")
    # A token bucket lets a little more than its rate through in some windows.
    assert 80 <= pacer.rate.count <= 105
    steady = tally.admitted_between(until - 20 * 5.0, until)
    assert steady >= 0.9 * 20 * 100
    assert tally.refused <= 0.02 * len(tally.answers)


@pytest.mark.parametrize("counted_at", [(0.5,), (1.0, 0.0, 0.0)], ids=["halfway", "uneven"])
@pytest.mark.parametrize("shape", ["sliding", "fixed", "bucket"])
async def test_known_limit_is_never_throttled(counted_at: tuple[float, ...], shape: Shape) -> None:
    """Told exactly what the server admits, the pacer never gets a 429 and uses the budget,
    wherever in the round trip the server counts the request (a quick answer after a slow way
    in must not make a slot look free before the server's window has let it go)."""
    budget = Budget(100, 5.0, shape=shape)
    pacer, tally, until = await _learn(budget, "100/5s", windows=20, counted_at=counted_at)
    assert tally.refused == 0
    assert pacer.rate.count == 100
    assert tally.admitted_between(until - 10 * 5.0, until) >= 0.97 * 10 * 100


@pytest.mark.parametrize("shape", ["sliding", "fixed", "bucket"])
@pytest.mark.parametrize("ceiling", ["100/5s", "150/5s"])
async def test_follows_a_budget_that_halves_and_recovers(ceiling: str, shape: Shape) -> None:
    """When another consumer takes half the budget, and again when the budget is whole, the
    second window after the change at the latest gets most of it with at most one 429 (a
    round trip of 15 ms, as in `make bench`: probes above the level go one at a time, so at
    50 ms some shapes take a third window)."""
    clock = VirtualClock()
    budget = Budget(100, 5.0, shape=shape)
    pacer = Pacer(RateLimit.parse(ceiling), clock, "write")
    start = clock.now()
    halved, whole = start + 50.0, start + 100.0

    def change_budget(now: float) -> None:
        budget.count = 50 if halved <= now < whole else 100

    task = asyncio.create_task(
        drive(
            pacer,
            budget,
            clock,
            until=start + 150.0,
            on_time=change_budget,
            concurrency=8,
            latency=0.015,
        )
    )
    await clock.run(task)
    tally = task.result()
    # A token bucket admits a burst on top of its rate, so a probe reads it high once: its
    # halving can take a third window and more 429s.
    bucket = shape == "bucket"
    assert (converged(tally, halved, 50, 5.0) or 99) <= (3 if bucket else 2)
    assert (converged(tally, whole, 100, 5.0) or 99) <= (3 if bucket else 2)
    # A run alone keeps the whole budget it measured, so when another consumer appears its
    # window is full: requests are refused until half of it has expired (36 in that window).
    assert tally.refused <= (0.03 if bucket else 0.025) * len(tally.answers)


@pytest.mark.parametrize(
    ("real", "ceiling", "shape"),
    [
        ("10/2s", "15/2s", "sliding"),
        *(("15/30s", "30/30s", shape) for shape in ("sliding", "fixed", "bucket")),
        ("100/5s", "150/5s", "sliding"),
    ],
)
async def test_refused_probes_stay_rare_at_any_level(real: str, ceiling: str, shape: Shape) -> None:
    """Probing a budget that stays full is refused at most once per 100 requests, however few
    a window admits: 10 per 2 s told 15, Graph's 15 per 30 s told 30 (probing once every
    other window was refused 6 % of the time there). (10 per 2 s under a fixed window or a
    token bucket: 1.5 %, a probe straddling the window's edge looks like a budget grown.)"""
    limit = RateLimit.parse(real)
    budget = Budget(limit.count, limit.per_seconds, shape=shape)
    _, tally, until = await _learn(budget, ceiling, windows=60, concurrency=8)
    after_start = until - 59 * limit.per_seconds  # The first window's overshoot is no probe.
    assert tally.refused_between(after_start, math.inf) <= 0.01 * len(tally.answers)
    # 95 % of 10 is 9 whole requests a window between probes.
    assert tally.admitted_between(after_start, until) >= 0.85 * 59 * limit.count


BUCKET_SHARING = pytest.mark.xfail(
    strict=True,
    reason="a token bucket gives its refill to whichever run's burst comes first in the "
    "window; the other run's level falls, never the first's (about 20 % / 80 %; the "
    "simulator let a run send past its allowance at a window edge before, which hid this)",
)


@pytest.mark.parametrize(
    "shape", ["sliding", "fixed", pytest.param("bucket", marks=BUCKET_SHARING)]
)
async def test_two_runs_on_one_budget_share_it_fairly(shape: Shape) -> None:
    """Two pacers told 150/5s on one 100/5s budget, the second starting a window late,
    end up with similar shares that together use most of the budget."""
    clock = VirtualClock()
    budget = Budget(100, 5.0, shape=shape)
    first = Pacer(RateLimit.parse("150/5s"), clock, "write")
    second = Pacer(RateLimit.parse("150/5s"), clock, "write")
    until = clock.now() + 60 * 5.0
    tasks = [
        asyncio.create_task(drive(first, budget, clock, until=until)),
        asyncio.create_task(drive(second, budget, clock, until=until, start=5.0)),
    ]
    await clock.run(*tasks)
    tallies = [task.result() for task in tasks]
    shares = [tally.admitted_between(until - 20 * 5.0, until) for tally in tallies]
    assert sum(shares) >= 0.9 * 20 * 100
    assert min(shares) >= 0.35 * sum(shares)
    answers = sum(len(tally.answers) for tally in tallies)
    assert sum(tally.refused for tally in tallies) <= 0.03 * answers


@pytest.mark.parametrize("retry_after", [1.0, None, 10.0])
async def test_a_429_before_anything_got_through_only_halves(retry_after: float | None) -> None:
    """The very first requests refused (Retry-After 1, none, 10) learn no level: each fresh
    429 halves the pace, never below a tenth of the ceiling, and probing finds the whole
    ceiling again within five windows once the budget is free."""
    clock = FakeClock()
    pacer = Pacer(RateLimit(count=750, per_seconds=30.0), clock)
    async with pacer.slot() as slot:
        slot.throttled(retry_after)
    assert pacer.rate.count == 375
    for _ in range(100):  # a burst: another consumer holds the whole window
        async with pacer.slot() as slot:
            slot.throttled(retry_after)
        assert pacer.rate.count >= 75
    assert pacer.rate.count == 75
    free_from = clock.now()
    while clock.now() < free_from + 5 * 30.0:
        async with pacer.slot() as slot:
            await clock.sleep(0.01)  # a round trip: the window's answers spread over time
            slot.admitted()
    assert pacer.rate.count >= 0.95 * 750


async def test_a_stamp_at_the_window_edge_lets_no_burst_through() -> None:
    """A stamp a float rounding inside the window's edge is gone, not a zero wait that lets
    every waiter through: at most the allowance goes at the edge (30 went before the fix)."""
    start = 1023.68  # start + 2.001 - 2.001 rounds just below start
    clock = FakeClock(start=start)
    pacer = Pacer(RateLimit.parse("10/2s"), clock)
    for _ in range(10):
        async with pacer.slot() as slot:
            slot.admitted()
    clock.time = start + 2.0 + SAFETY_MARGIN
    sent = 0
    while not clock.sleeps and sent < 30:
        async with pacer.slot() as slot:
            slot.admitted()
        sent += 1
    assert sent <= 11  # the tenth free slot, then the sleep that ends the loop


async def test_the_first_429_refuses_at_most_two_requests() -> None:
    """Told 150 on a budget of 100 at concurrency 8, the first window's top goes two at a
    time: the first 429 comes with at most two requests out (eight were refused before)."""
    clock = VirtualClock()
    budget = Budget(100, 5.0)
    pacer = Pacer(RateLimit.parse("150/5s"), clock, "write")
    task = asyncio.create_task(
        drive(pacer, budget, clock, until=clock.now() + 5.0, concurrency=8, latency=0.015)
    )
    await clock.run(task)
    assert task.result().refused <= 2


async def test_a_request_admitted_after_the_probes_429_counts_in_the_level() -> None:
    """In the first window two requests go at a time above 30 % of the ceiling, and the
    429 to the later one can come back first: the earlier one, admitted after it, was in the
    same window, so the level is 100, not 99 (a slot short in every window cost 700 rows at
    100 per 5 s an eighth window)."""
    clock = FakeClock()
    pacer = Pacer(RateLimit.parse("150/5s"), clock, "write")
    for _ in range(99):
        async with pacer.slot() as slot:
            slot.admitted()
    earlier, later = pacer.slot(), pacer.slot()
    admitted_one, refused_one = await earlier.__aenter__(), await later.__aenter__()
    refused_one.throttled(None)
    await later.__aexit__(None, None, None)
    assert pacer.rate.count == 99
    admitted_one.admitted()
    await earlier.__aexit__(None, None, None)
    assert pacer.rate.count == 100


async def test_no_probe_a_refused_one_would_outlast() -> None:
    """After a 429 asking 10 s (two 5 s windows), a run whose remaining rows take no longer
    than that at its level sends no probe: a refused one's row would come back after all the
    others were done. Told more is left, the same sends probe."""

    async def probes_sent(remaining: int) -> int:
        clock = FakeClock()
        pacers = Pacers(RateLimit.parse("150/5s"), RateLimit.parse("750/30s"), clock)
        pacers.expect(writes=remaining + 1, reads=0)
        pacers.row_done(RequestClass.WRITE)
        pacer = pacers[RequestClass.WRITE]
        for _ in range(100):
            async with pacer.slot() as slot:
                slot.admitted()
        async with pacer.slot() as slot:
            slot.throttled(10.0)  # the first window's edge: the level is learned below 150
        probes = 0
        for _ in range(600):  # the pacer's remaining count is a hint; sends go on
            async with pacer.slot() as slot:
                probes += slot.probe
                slot.admitted()
        return probes

    assert await probes_sent(150) == 0
    assert await probes_sent(3000) > 0


@pytest.mark.parametrize(
    ("shape", "retry_after"),
    [("sliding", None), ("fixed", None), ("sliding", 10.0), ("fixed", 10.0)],
)
async def test_a_refused_probe_never_ends_a_run_alone_late(
    shape: Shape, retry_after: float | None
) -> None:
    """700 rows told 150/5s on a 100/5s budget take the 7 windows it allows, also when every
    429 asks 10 s: no probe is sent where its refused row would finish after the others
    (with one in the sixth window, such a row ended the run 5 s late)."""
    clock = VirtualClock(start=1001.85)
    budget = Budget(100, 5.0, shape=shape, retry_after=retry_after)
    start = clock.now()
    (tally,) = await run_rows(budget, clock, "150/5s", [700])
    assert max(at for at, _ in tally.answers) - start < 6 * 5.0 + 1.0


@pytest.mark.parametrize("shape", ["sliding", "fixed"])
@pytest.mark.parametrize("rows", [(334, 366), (310, 390), (350, 350), (526, 474)])
async def test_two_runs_of_any_split_finish_in_the_windows_the_budget_allows(
    shape: Shape, rows: tuple[int, int]
) -> None:
    """Two runs told 150/5s share a 100/5s budget, their 700 rows split unevenly (as shards
    are): the larger one takes what the smaller leaves in its last window, by probing for its
    last rows held back there, so 700 rows take 7 windows, not 8 (each run kept its half
    and the larger one's last 16 rows waited a whole window), and 1000 take 10 (with that
    probe no earlier than the probe schedule allowed, they took 11)."""
    clock = VirtualClock(start=1001.85)
    budget = Budget(100, 5.0, shape=shape)
    start = clock.now()
    tallies = await run_rows(budget, clock, "150/5s", rows)
    windows = (sum(rows) - 1) // 100
    assert max(at for tally in tallies for at, _ in tally.answers) - start < windows * 5.0 + 1.0
    answers = sum(len(tally.answers) for tally in tallies)
    assert sum(tally.refused for tally in tallies) <= 0.02 * answers


@pytest.mark.parametrize("shape", ["sliding", "fixed"])
async def test_probes_for_the_last_rows_keep_to_the_probe_schedule(shape: Shape) -> None:
    """Two runs of 150 rows told 15/2s share 10/2s, a budget counting refused requests:
    probing for the last rows at most a window early keeps both at their share to the end
    (each such probe sent whenever rows were held back took a slot the other run needed,
    halved it, and 300 rows took 1.18 of the 58 s the budget allows)."""
    clock = VirtualClock(start=1001.85)
    budget = Budget(10, 2.0, shape=shape)
    start = clock.now()
    tallies = await run_rows(budget, clock, "15/2s", [150, 150], concurrency=8)
    ended = max(at for tally in tallies for at, _ in tally.answers)
    assert ended - start < 1.08 * 29 * 2.0


@pytest.mark.parametrize("shape", ["sliding", "fixed"])
@pytest.mark.parametrize("rows", [650, 700, 1000])
async def test_a_run_alone_has_under_one_percent_refused(shape: Shape, rows: int) -> None:
    """Told 150/5s on a 100/5s budget, a run alone keeps its refused requests (the first
    window's and its probes) under the issue's 1 %: probing once per 100 admitted refused
    one a window at 100, 1.1 % of 650 rows."""
    clock = VirtualClock(start=1001.85)
    budget = Budget(100, 5.0, shape=shape)
    (tally,) = await run_rows(budget, clock, "150/5s", [rows])
    assert tally.refused < 0.01 * len(tally.answers)


async def test_a_retry_after_rounded_up_to_seconds_still_lets_the_last_rows_probe() -> None:
    """Every 429 saying 5.67 s on a 5 s window (an HTTP date, whole seconds, rounds up): the
    larger of two uneven runs still probes for its last rows and 700 rows take 7 windows
    (with the longest `Retry-After` held to the window itself, it waited an eighth)."""
    clock = VirtualClock(start=1001.85)
    budget = Budget(100, 5.0, retry_after=5.67)
    start = clock.now()
    tallies = await run_rows(budget, clock, "150/5s", [334, 366])
    assert max(at for tally in tallies for at, _ in tally.answers) - start < 32.0


@pytest.mark.parametrize("shape", ["sliding", "fixed"])
async def test_a_run_alone_keeps_the_whole_budget_it_measured(shape: Shape) -> None:
    """Told 150 on a budget of 100 it shares with no one, a run's refused probes give nothing
    back: 700 rows take the 7 windows the budget allows (with 5 % given back after each
    refused probe they took an eighth)."""
    clock = VirtualClock(start=1001.85)
    budget = Budget(100, 5.0, shape=shape)
    pacer = Pacer(RateLimit.parse("150/5s"), clock, "write")
    start = clock.now()
    task = asyncio.create_task(
        drive(pacer, budget, clock, until=0.0, rows=700, concurrency=4, latency=0.015)
    )
    await clock.run(task)
    tally = task.result()
    assert max(at for at, _ in tally.answers) - start < 6 * 5.0 + 1.0
    assert tally.refused <= 7
