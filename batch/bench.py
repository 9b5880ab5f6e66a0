"""`make bench`: how close the runner stays to the rate limits, and its raw speed.

1. Paced: 2500 writes under a sandbox enforcing 100 writes per second, the runner set to the
   same limit. Reports wall time / the least time the limit allows (target <= 1.05) and the share of
   requests answered 429 (target <= 1 %). The runner reuses a send slot a window after the
   previous request's *answer* (so network jitter can never cause a 429), which costs about one
   round trip per window: here a local round trip (5-20 ms under load) is 0.5-2 % of the 1 s
   window, about what a Graph round trip (~0.3 s) is of Graph's 30 s window.
2. Stress: 3000 writes at 200 per second, twice the pace per window and a larger burst for
   the client to send at each window's start; printed for information, not held to the target.
3. Unthrottled: a sandbox with limits too high to matter and no latency; reports the runner's
   operations per second (the runner is single-threaded: one core).

The sandbox runs in a child process, as Graph would be remote, so it does not share the
runner's core.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from batch.cli import main as cli_main
from batch.http.pacing import estimated_seconds
from batch.rehearsal import sandbox_in_subprocess, state_problems, write_yaml_job
from batch.sandbox import generate_world
from batch.settings import RateLimit

PACED_WRITES = int(os.environ.get("BENCH_WRITES", "2500"))
PACED_LIMIT = os.environ.get("BENCH_LIMIT", "100/1s")
STRESS_WRITES = 3000
STRESS_LIMIT = "200/1s"
PACED_CONCURRENCY = os.environ.get("BENCH_CONCURRENCY", "8")
FAST_OPS = 3000
HUGE_LIMIT = "1000000/1s"


def _rows(writes: int, seed: int) -> tuple[Any, list[dict[str, str]]]:
    world, rows = generate_world(int(writes * 1.6), seed=seed)
    return world, [row for row in rows if row["op"] != "get-session"][:writes]


def _run(
    world: Any, rows: list[dict[str, str]], limits: list[str], args: list[str], work: Path
) -> tuple[int, float, float, Any, list[str]]:
    """Run `rows` with `limits` (the same flags for sandbox and runner) plus runner `args`."""
    job = write_yaml_job(rows, work / "job.yaml")
    audit = work / "audit.jsonl"
    audit.unlink(missing_ok=True)
    with sandbox_in_subprocess(world, *limits) as sandbox:
        os.environ["GRAPH_ACCESS_TOKEN"] = sandbox.token
        started = time.perf_counter()
        code = cli_main(
            [
                "run",
                str(job),
                "--yes",
                "--quiet",
                "--base-url",
                sandbox.base_url,
                "--audit-log",
                str(audit),
                *limits,
                *args,
            ]
        )
        wall = time.perf_counter() - started
        stats, state = sandbox.stats(), sandbox.state()
    finished = json.loads(audit.read_text(encoding="utf-8").splitlines()[-1])
    return code, wall, float(finished["elapsed"]), stats, state_problems(state, rows)


def _paced(writes: int, limit_text: str, work: Path) -> tuple[str, float, float, bool]:
    """One paced run: its report lines, pace ratio, 429 share, and whether it went cleanly."""
    world, rows = _rows(writes, seed=11)
    limit = RateLimit.parse(limit_text)
    limits = ["--write-limit", limit_text, "--read-limit", HUGE_LIMIT]
    code, wall, elapsed, stats, problems = _run(
        world, rows, limits, ["--concurrency", PACED_CONCURRENCY], work
    )
    ideal = estimated_seconds(len(rows), limit)
    throttled = stats.by_status.get(429, 0)
    share_429 = throttled / max(1, stats.requests_total)
    ratio = elapsed / ideal
    report = (
        f"{len(rows)} writes at {limit_text} (exit {code}, wall {wall:.2f}s)\n"
        f"  run time / ideal time:    {elapsed:.2f}s / {ideal:.2f}s = {ratio:.3f}\n"
        f"  requests answered 429:    {throttled} of {stats.requests_total} = {share_429:.2%}\n"
        f"  rows not in intended state: {len(problems)}"
    )
    return report, ratio, share_429, code == 0 and not problems


def main() -> int:
    """Run the measurements and print the figures; 0 when the targets are met."""
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        paced, ratio, share_429, paced_ok = _paced(PACED_WRITES, PACED_LIMIT, work)
        stress, _, _, stress_ok = _paced(STRESS_WRITES, STRESS_LIMIT, work)

        world, fast_rows = generate_world(FAST_OPS, seed=12)
        limits = ["--write-limit", HUGE_LIMIT, "--read-limit", HUGE_LIMIT]
        fast_code, _, fast_elapsed, _, fast_problems = _run(
            world, fast_rows, limits, ["--concurrency", "32"], work
        )
        ops_per_second = len(fast_rows) / fast_elapsed

    print("\ngraph-batch bench")
    print(f"paced run (targets: ratio <= 1.05, 429 share <= 1%): {paced}")
    print(f"stress run (twice the pace; for information): {stress}")
    print(f"unthrottled run: {len(fast_rows)} mixed operations (exit {fast_code})")
    print(f"  operations per second:    {ops_per_second:.0f}   ({fast_elapsed:.2f}s)")
    print(f"  rows not in intended state: {len(fast_problems)}")
    met = ratio <= 1.05 and share_429 <= 0.01 and paced_ok and stress_ok
    return 0 if met and fast_code == 0 and not fast_problems else 1


if __name__ == "__main__":
    sys.exit(main())
