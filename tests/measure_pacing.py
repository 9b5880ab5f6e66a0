"""The pacer's scenario matrix on virtual time: `.venv/bin/python -m tests.measure_pacing`.

For each scenario (a server budget, what the client is told, rows, one run or two shards) and
each server shape (sliding log, fixed window, token bucket) and `Retry-After` style (time to a
free slot or the window's end, the whole window, a constant 10 s as in Microsoft's sample), it
prints wall / ideal and the share of requests answered 429; for the budget that halves and
recovers, the windows each change took to converge. Deterministic and quick: the place to tune
`batch.http.pacing`'s constants (`make bench` then checks them against real processes).

Ideal: whole windows of the real budget after the first, as in `make bench` (a 700-row run of
100 per window is then charged a whole window for one row left over); "by rate": rows divided
by the budget's sustained rate. Converged: the
first window after a change that admitted at least 80 % of the new budget with at most one 429.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from dataclasses import dataclass

import structlog

from batch.http.pacing import Pacer
from batch.settings import RateLimit
from tests.pacing_sim import Budget, Shape, VirtualClock, converged, drive, run_rows

SHAPES: tuple[Shape, ...] = ("sliding", "fixed", "bucket")
RETRY_AFTERS: tuple[str, ...] = ("slot", "window", "10s")
PHASE = 0.37
"""Where in a fixed window the run starts (share of the window): not on an edge."""
CONCURRENCY = 8


@dataclass(frozen=True)
class Scenario:
    """A server budget, what the client is told, and how many rows in how many runs."""

    name: str
    real: str
    told: str
    rows: int
    runs: int = 1
    latency: float = 0.015


SCENARIOS = (
    Scenario("known 100/5s, 700", "100/5s", "100/5s", 700),
    Scenario("issue 100/5s told 150, 700", "100/5s", "150/5s", 700),
    Scenario("issue, two runs", "100/5s", "150/5s", 700, runs=2),
    Scenario("known 100/2s, 2030", "100/2s", "100/2s", 2030),
    Scenario("bench 100/2s told 150, 2030", "100/2s", "150/2s", 2030),
    Scenario("bench, two runs", "100/2s", "150/2s", 2030, runs=2),
    Scenario("low 10/2s told 15, 300", "10/2s", "15/2s", 300),
    Scenario("low, two runs", "10/2s", "15/2s", 300, runs=2),
    Scenario("graph 15/30s told 15, 300", "15/30s", "15/30s", 300, latency=0.1),
    Scenario("graph 15/30s told 30, 300", "15/30s", "30/30s", 300, latency=0.1),
)


def _budget(real: RateLimit, shape: Shape, retry_after: str) -> Budget:
    constant = {"slot": None, "window": real.per_seconds, "10s": 10.0}[retry_after]
    return Budget(real.count, real.per_seconds, shape=shape, retry_after=constant)


async def _scenario(
    scenario: Scenario, shape: Shape, retry_after: str
) -> tuple[float, float, float]:
    """(wall / ideal, wall / (rows / rate), share of 429s) of one scenario and server shape."""
    real = RateLimit.parse(scenario.real)
    clock = VirtualClock(start=1000 * real.per_seconds + PHASE * real.per_seconds)
    budget = _budget(real, shape, retry_after)
    started = clock.now()
    per_run = scenario.rows // scenario.runs
    rows = [per_run] * scenario.runs
    rows[0] += scenario.rows - per_run * scenario.runs
    tallies = await run_rows(
        budget, clock, scenario.told, rows, concurrency=CONCURRENCY, latency=scenario.latency
    )
    ended = max(t for tally in tallies for t, _ in tally.answers)
    ideal = ((scenario.rows - 1) // real.count) * real.per_seconds
    answers = sum(len(tally.answers) for tally in tallies)
    wall = ended - started
    share = sum(tally.refused for tally in tallies) / answers
    return wall / ideal, wall / (scenario.rows / real.per_second), share


async def _halving(shape: Shape, retry_after: str, told: str) -> tuple[int | None, int | None]:
    """Windows to converge after 100/5s halves (at 50 s) and after it is whole (at 100 s)."""
    clock = VirtualClock(start=5000 + PHASE * 5)
    budget = _budget(RateLimit.parse("100/5s"), shape, retry_after)
    start = clock.now()
    halved, whole = start + 50.0, start + 100.0

    def change(now: float) -> None:
        budget.count = 50 if halved <= now < whole else 100

    pacer = Pacer(RateLimit.parse(told), clock, "write")
    task = asyncio.create_task(
        drive(
            pacer,
            budget,
            clock,
            until=start + 150.0,
            concurrency=CONCURRENCY,
            latency=0.015,
            on_time=change,
            waiting_frees_seat=True,
        )
    )
    await clock.run(task)
    tally = task.result()
    return converged(tally, halved, 50, 5.0), converged(tally, whole, 100, 5.0)


async def main() -> int:
    """Print the matrix (without the pacers' `pace.changed` diagnostics)."""
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    combos = [(shape, ra) for shape in SHAPES for ra in RETRY_AFTERS]
    header = "".join(f"{shape[:5] + '/' + ra:>15}" for shape, ra in combos)
    print(f"{'wall/ideal 429%':<30}{header}{'worst':>15}{'worst by rate':>15}")
    for scenario in SCENARIOS:
        cells = [await _scenario(scenario, shape, ra) for shape, ra in combos]
        worst = (max(c[0] for c in cells), 0.0, max(c[2] for c in cells))
        row = "".join(f"{ratio:>9.3f} {share:>4.1%}" for ratio, _, share in [*cells, worst])
        print(f"{scenario.name:<30}{row}{max(c[1] for c in cells):>15.3f}")
    for told in ("100/5s", "150/5s"):
        cells_h = [await _halving(shape, ra, told) for shape, ra in combos]
        row = "".join(f"{f'{down} / {up}':>15}" for down, up in cells_h)
        print(f"{'halves/recovers told ' + told:<30}{row}")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
