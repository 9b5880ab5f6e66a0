"""`make bench`: how close the runner stays to the rate it is really admitted at.

Every case runs 2030 writes (concurrency 8) against `graph-batch sandbox` in a child process
(as Graph would be remote) admitting `REAL`, 100 writes per 2 s with 15 ms latency: Graph's
30 s window scaled down so a case takes under a minute, the round trip in about the same
proportion to the window.

- known limit: the client is told `REAL` (target: wall / ideal <= 1.03, no 429);
- ceiling 1.5x: told 150/2s (target <= 1.05, <= 1 % of requests 429);
- ceiling 1.5x against a sandbox whose 429s all say `Retry-After: 10` (Microsoft's sample:
  5 windows here): the refused rows wait it out without holding up the others (target <= 1.30,
  <= 1 % 429: the ceiling case's 1.05 plus one `Retry-After`, 10 s of the 40 s ideal, for a
  row refused near the end waits it out after all the others are done);
- two concurrent runs sharing the budget: two `graph-batch run` processes, `--shard 1/2` and
  `2/2`, each told 150/2s (target <= 1.08 combined, <= 2 % 429);
- the issue's own case: 700 writes, the sandbox admitting 100 per 5 s, told 150/5s, one run
  (targets as the ceiling case) and two (as two runs); with 700 rows exactly 7 windows'
  worth, one row over is a whole window, so `wall / (rows / rate)` is printed beside it;
- the budget halves 6 s in (`POST /_sandbox/limits`: another consumer appears) and is whole
  again at 14 s; told `REAL` (target: converges within 2 windows); and again with every 429
  saying `Retry-After: 10`, where the halving refuses every seat's row at once (target: wall /
  ideal <= 1.12; each such row used to hold its seat for the 10 s);
- with `BENCH_FAULTS=1` also: 3 % of writes 503 with `Retry-After: 2` and 2 % dropped after
  applying, told `REAL` (the measurement behind the 503 decision in `batch.http.pacing`).

Ideal: the least time the real budget allows under its sliding window, one window per 100
writes after the first 100 (2030 writes: 20 windows, 40 s; the last 30 give the count slack,
so a run is not charged a whole window for being a few requests short). Rows lost: rows not
`succeeded`/`already_done`, or whose target the sandbox does not show in the intended state.
Convergence: windows from a budget change to the first window in which the run got at least
80 % of the new budget with at most one 429 (a probe).

Last, the runner's raw speed against a sandbox that never throttles.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from batch.cli import main as cli_main
from batch.rehearsal import RemoteSandbox, sandbox_in_subprocess, state_problems, write_yaml_job
from batch.sandbox import generate_world
from batch.settings import RateLimit

REAL = RateLimit.parse("100/2s")
CEILING = "150/2s"
WRITES = int(os.environ.get("BENCH_WRITES", "2030"))
CONCURRENCY = "8"
LATENCY = ["--latency-ms", "15"]
HUGE_LIMIT = "1000000/1s"
HALVED_AT, RECOVERED_AT = 6.0, 14.0
"""Seconds into the halving case when the budget halves, and when it is whole again."""
ISSUE_REAL = RateLimit.parse("100/5s")
ISSUE_CEILING = "150/5s"
ISSUE_WRITES = 700
"""The issue's own case: 700 rows, 100 writes per 5 s admitted, the client told 150 per 5 s."""
FAULTS = (
    *("--fault", "503-retry-after=0.03", "--fault", "drop-after=0.02"),
    *("--fault-class", "write"),
)
LONG_RETRY_AFTER = ("--retry-after-429", "10")
FAST_OPS = 3000


@dataclass(frozen=True)
class Outcome:
    """One case's figures."""

    ratio: float
    share_429: float
    lost: int
    note: str = ""
    windows: float | None = None
    """Windows to converge after the budget halved (the halving case only)."""


@dataclass(frozen=True)
class Target:
    """A case's target, written once: checked against its `Outcome` and printed."""

    ratio: float | None = None
    """Most wall / ideal."""
    share: float | None = None
    """Largest share of requests answered 429 (0: none)."""
    windows: float | None = None
    """Most windows to converge after the budget halved."""

    @property
    def binding(self) -> bool:
        """False for a case measured for information only."""
        return (self.ratio, self.share, self.windows) != (None, None, None)

    def met(self, outcome: Outcome) -> bool:
        """Whether `outcome` is within every bound set here."""
        windows = outcome.windows
        return (
            (self.ratio is None or outcome.ratio <= self.ratio)
            and (self.share is None or outcome.share_429 <= self.share)
            and (self.windows is None or (windows is not None and windows <= self.windows))
        )

    def __str__(self) -> str:
        parts = []
        if self.ratio is not None:
            parts.append(f"<= {self.ratio:.2f}")
        if self.share is not None:
            parts.append("no 429" if self.share == 0 else f"<= {self.share:.0%} 429")
        if self.windows is not None:
            parts.append(f"converges <= {self.windows:g} windows")
        return ", ".join(parts) or "for information"


def _ideal(writes: int, limit: RateLimit) -> float:
    """Least time a sliding window of `limit` lets `writes` through: whole windows."""
    return ((writes - 1) // limit.count) * limit.per_seconds


def _rows(writes: int, seed: int) -> tuple[Any, list[dict[str, str]]]:
    world, rows = generate_world(int(writes * 1.6), seed=seed)
    return world, [row for row in rows if row["op"] != "get-session"][:writes]


def _run_args(job: Path, audit: Path, sandbox: RemoteSandbox, limit: str) -> list[str]:
    return [
        "run",
        str(job),
        "--yes",
        "--quiet",
        "--base-url",
        sandbox.base_url,
        "--audit-log",
        str(audit),
        "--write-limit",
        limit,
        "--read-limit",
        HUGE_LIMIT,
        "--concurrency",
        CONCURRENCY,
    ]


def _records(audit: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in audit.read_text(encoding="utf-8").splitlines()]


def _lost(records: list[dict[str, Any]], problems: list[str]) -> int:
    done = {"succeeded", "already_done"}
    failed = sum(1 for r in records if r["event"] == "op.finished" and r["outcome"] not in done)
    return failed + len(problems)


def _stamp(record: dict[str, Any]) -> float:
    return datetime.fromisoformat(record["ts"]).timestamp()


def _single(
    work: Path,
    limit: str,
    *,
    writes: int = WRITES,
    real: RateLimit = REAL,
    sandbox_flags: tuple[str, ...] = (),
    during: Callable[[RemoteSandbox], None] | None = None,
) -> tuple[Outcome, list[dict[str, Any]]]:
    """One run of `writes` writes told `limit` where the sandbox admits `real`; `during` runs
    beside it (budget changes)."""
    world, rows = _rows(writes, seed=11)
    job = write_yaml_job(rows, work / "job.yaml")
    audit = work / f"audit-{time.monotonic_ns()}.jsonl"
    flags = ["--write-limit", str(real), "--read-limit", HUGE_LIMIT, *LATENCY, *sandbox_flags]
    with sandbox_in_subprocess(world, *flags) as sandbox:
        os.environ["GRAPH_ACCESS_TOKEN"] = sandbox.token
        helper = threading.Thread(target=during, args=(sandbox,)) if during else None
        if helper is not None:
            helper.start()
        cli_main(_run_args(job, audit, sandbox, limit))
        if helper is not None:
            helper.join()
        stats, state = sandbox.stats(), sandbox.state()
    records = _records(audit)
    elapsed = float(records[-1]["elapsed"])
    ratio = elapsed / _ideal(len(rows), real)
    share = stats.by_status.get(429, 0) / max(1, stats.requests_total)
    note = _by_rate(elapsed, len(rows), real)
    return Outcome(ratio, share, _lost(records, state_problems(state, rows)), note), records


def _two_runs(
    work: Path, *, writes: int = WRITES, real: RateLimit = REAL, ceiling: str = CEILING
) -> Outcome:
    """Two `graph-batch run` processes, one shard each, told `ceiling`, against one sandbox
    admitting `real`."""
    world, rows = _rows(writes, seed=13)
    job = write_yaml_job(rows, work / "shared.yaml")
    audits = [work / f"shard-{k}-{time.monotonic_ns()}.jsonl" for k in (1, 2)]
    flags = ["--write-limit", str(real), "--read-limit", HUGE_LIMIT, *LATENCY]
    with sandbox_in_subprocess(world, *flags) as sandbox:
        env = os.environ | {"GRAPH_ACCESS_TOKEN": sandbox.token}
        runs = [
            subprocess.Popen(  # noqa: S603 - our own interpreter and arguments.
                [
                    sys.executable,
                    "-m",
                    "batch",
                    *_run_args(job, audit, sandbox, ceiling),
                    "--shard",
                    f"{k}/2",
                ],
                env=env,
            )
            for k, audit in zip((1, 2), audits, strict=True)
        ]
        for run in runs:
            run.wait()
        stats, state = sandbox.stats(), sandbox.state()
    logs = [_records(audit) for audit in audits]
    started = min(_stamp(r) for log in logs for r in log if r["event"] == "run.started")
    ended = max(_stamp(log[-1]) for log in logs)
    ratio = (ended - started) / _ideal(len(rows), real)
    share = stats.by_status.get(429, 0) / max(1, stats.requests_total)
    lost = sum(_lost(log, []) for log in logs) + len(state_problems(state, rows))
    shares = [sum(1 for r in log if r["event"] == "op.finished") for log in logs]
    rates = [log[-1].get("settled_rate", {}).get("write") for log in logs]
    by_rate = _by_rate(ended - started, len(rows), real)
    note = f"rows per run {shares}; settled at {rates} writes/s; {by_rate}"
    return Outcome(ratio, share, lost, note)


def _by_rate(elapsed: float, writes: int, real: RateLimit) -> str:
    """Wall time over `writes` at `real`'s sustained rate: the ideal that charges no whole
    window for the rows left over (700 rows at 100 per window are 7 windows' worth, not 6)."""
    return f"wall / (rows / rate) {elapsed / (writes / real.per_second):.3f}"


def _windows_to_converge(
    attempts: list[tuple[float, int | None]], since: float, budget: int
) -> float | None:
    """Windows from `since` to the first window with >= 80 % of `budget` and <= one 429."""
    window = REAL.per_seconds
    for k in range(12):
        start = since + k * window
        inside = [status for t, status in attempts if start <= t < start + window]
        admitted = sum(1 for status in inside if status not in (None, 429))
        if admitted >= 0.8 * budget and inside.count(429) <= 1:
            return float(k + 1)
    return None


def _halving(work: Path, sandbox_flags: tuple[str, ...] = ()) -> Outcome:
    """The budget halves `HALVED_AT` s into the run and is whole again at `RECOVERED_AT`."""
    changes: dict[str, float] = {}
    half = RateLimit(count=REAL.count // 2, per_seconds=REAL.per_seconds)

    def change_budget(sandbox: RemoteSandbox) -> None:
        start = time.time()
        for at, limit, name in ((HALVED_AT, half, "halved"), (RECOVERED_AT, REAL, "recovered")):
            time.sleep(max(0.0, start + at - time.time()))
            sandbox.set_limits(write_limit=str(limit))
            changes[name] = time.time()

    outcome, records = _single(work, str(REAL), sandbox_flags=sandbox_flags, during=change_budget)
    attempts = [
        (_stamp(r), r["status"])
        for r in records
        if r["event"] == "op.attempt" and r["method"] != "GET"
    ]
    down = _windows_to_converge(attempts, changes["halved"], half.count)
    up = _windows_to_converge(attempts, changes["recovered"], REAL.count)
    # Ideal: half the windows' worth is lost while the budget is halved.
    halved_for = changes["recovered"] - changes["halved"]
    ideal = _ideal(WRITES, REAL) + halved_for / 2
    elapsed = float(records[-1]["elapsed"])
    note = f"windows to converge: {down} after halving, {up} after recovering"
    return Outcome(elapsed / ideal, outcome.share_429, outcome.lost, note, down)


def _unthrottled(work: Path) -> tuple[float, int]:
    world, rows = generate_world(FAST_OPS, seed=12)
    job = write_yaml_job(rows, work / "fast.yaml")
    audit = work / "fast.jsonl"
    flags = ["--write-limit", HUGE_LIMIT, "--read-limit", HUGE_LIMIT]
    with sandbox_in_subprocess(world, *flags) as sandbox:
        os.environ["GRAPH_ACCESS_TOKEN"] = sandbox.token
        args = _run_args(job, audit, sandbox, HUGE_LIMIT)
        cli_main([*args[:-1], "32"])
        problems = state_problems(sandbox.state(), rows)
    records = _records(audit)
    return len(rows) / float(records[-1]["elapsed"]), _lost(records, problems)


def main() -> int:
    """Run every case and print the table with each target met or missed: figures, not a gate
    (the machine's load moves them), so 0 unless a row was lost."""
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        known, _ = _single(work, str(REAL))
        ceiling, _ = _single(work, CEILING)
        long_wait, _ = _single(work, CEILING, sandbox_flags=LONG_RETRY_AFTER)
        shared = _two_runs(work)
        issue, _ = _single(work, ISSUE_CEILING, writes=ISSUE_WRITES, real=ISSUE_REAL)
        issue_shared = _two_runs(work, writes=ISSUE_WRITES, real=ISSUE_REAL, ceiling=ISSUE_CEILING)
        halving = _halving(work)
        long_halving = _halving(work, LONG_RETRY_AFTER)
        faulty = None
        if os.environ.get("BENCH_FAULTS"):
            faulty, _ = _single(work, str(REAL), sandbox_flags=FAULTS)
        ops_per_second, fast_lost = _unthrottled(work)
    cases = [
        ("known limit", known, Target(ratio=1.03, share=0.0)),
        ("ceiling 1.5x the real limit", ceiling, Target(ratio=1.05, share=0.01)),
        ("ceiling 1.5x, Retry-After: 10", long_wait, Target(ratio=1.30, share=0.01)),
        ("two concurrent runs, one budget", shared, Target(ratio=1.08, share=0.02)),
        ("issue: 700, 100/5s told 150/5s", issue, Target(ratio=1.05, share=0.01)),
        ("issue: two runs", issue_shared, Target(ratio=1.08, share=0.02)),
        ("budget halves, then recovers", halving, Target(windows=2)),
        ("budget halves, Retry-After: 10", long_halving, Target(ratio=1.12)),
    ]
    if faulty is not None:
        cases.append(("3% 503 + 2% drops, known limit", faulty, Target()))
    print(f"\ngraph-batch bench: {WRITES} writes, sandbox admits {REAL} (15 ms latency)")
    print(f"{'case':<34} {'wall/ideal':>10} {'429 share':>10} {'rows lost':>10}  target")
    for name, outcome, target in cases:
        verdict = f": {'met' if target.met(outcome) else 'MISSED'}" if target.binding else ""
        print(
            f"{name:<34} {outcome.ratio:>10.3f} {outcome.share_429:>10.2%} {outcome.lost:>10}"
            f"  {target}{verdict}"
        )
        if outcome.note:
            print(f"{'':<34} {outcome.note}")
    print(f"unthrottled: {ops_per_second:.0f} operations per second, {fast_lost} rows lost")
    return 1 if fast_lost or any(outcome.lost for _, outcome, _ in cases) else 0


if __name__ == "__main__":
    sys.exit(main())
