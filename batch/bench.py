"""`make bench`: how close the runner stays to the rate limits, and its raw speed.

1. Paced: 3000 writes under a sandbox enforcing 200 writes/s (Graph's 15/30 s scaled up) with
   the runner set to the same limit. Reports wall time / the least time the limit allows
   (target <= 1.05) and the share of requests answered 429 (target <= 1 %).
2. Unthrottled: a sandbox with limits too high to matter and no latency; reports the runner's
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
from batch.sandbox import SandboxConfig, generate_world
from batch.settings import RateLimit

PACED_WRITES = int(os.environ.get("BENCH_WRITES", "3000"))
PACED_LIMIT = "200/1s"
PACED_CONCURRENCY = os.environ.get("BENCH_CONCURRENCY", "8")
FAST_OPS = 3000
HUGE_LIMIT = "1000000/1s"


def _rows(writes: int, seed: int) -> tuple[Any, list[dict[str, str]]]:
    world, rows = generate_world(int(writes * 1.6), seed=seed)
    return world, [row for row in rows if row["op"] != "get-session"][:writes]


def _run(
    world: Any, rows: list[dict[str, str]], config: SandboxConfig, args: list[str], work: Path
) -> tuple[int, float, float, Any, list[str]]:
    job = write_yaml_job(rows, work / "job.yaml")
    audit = work / "audit.jsonl"
    audit.unlink(missing_ok=True)
    with sandbox_in_subprocess(world, config) as sandbox:
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
                *args,
            ]
        )
        wall = time.perf_counter() - started
        stats, state = sandbox.stats(), sandbox.state()
    finished = json.loads(audit.read_text(encoding="utf-8").splitlines()[-1])
    return code, wall, float(finished["elapsed"]), stats, state_problems(state, rows)


def main() -> int:
    """Run both measurements and print the figures; 0 when the targets are met."""
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        world, rows = _rows(PACED_WRITES, seed=11)
        limit = RateLimit.parse(PACED_LIMIT)
        config = SandboxConfig.model_validate(
            {"write_limit": PACED_LIMIT, "read_limit": HUGE_LIMIT, "seed": 11}
        )
        args = [
            "--write-limit",
            PACED_LIMIT,
            "--read-limit",
            HUGE_LIMIT,
            "--concurrency",
            PACED_CONCURRENCY,
        ]
        code, wall, elapsed, stats, problems = _run(world, rows, config, args, work)
        ideal = estimated_seconds(len(rows), limit)
        share_429 = stats.by_status.get(429, 0) / max(1, stats.requests_total)
        pace_ratio = elapsed / ideal

        world, fast_rows = generate_world(FAST_OPS, seed=12)
        config = SandboxConfig.model_validate(
            {"write_limit": HUGE_LIMIT, "read_limit": HUGE_LIMIT, "seed": 12}
        )
        args = ["--write-limit", HUGE_LIMIT, "--read-limit", HUGE_LIMIT, "--concurrency", "32"]
        fast_code, _, fast_elapsed, _, fast_problems = _run(world, fast_rows, config, args, work)
        ops_per_second = len(fast_rows) / fast_elapsed

    print("\ngraph-batch bench")
    print(f"paced run: {len(rows)} writes at {PACED_LIMIT} (exit {code}, wall {wall:.2f}s)")
    print(
        f"  run time / ideal time:    {elapsed:.2f}s / {ideal:.2f}s = {pace_ratio:.3f}"
        "   (target <= 1.05)"
    )
    print(
        f"  requests answered 429:    {stats.by_status.get(429, 0)} of {stats.requests_total}"
        f" = {share_429:.2%}   (target <= 1%)"
    )
    print(f"  rows not in intended state: {len(problems)}")
    print(f"unthrottled run: {len(fast_rows)} mixed operations (exit {fast_code})")
    print(f"  operations per second:    {ops_per_second:.0f}   ({fast_elapsed:.2f}s)")
    print(f"  rows not in intended state: {len(fast_problems)}")
    met = pace_ratio <= 1.05 and share_429 <= 0.01 and code == fast_code == 0
    return 0 if met and not problems and not fast_problems else 1


if __name__ == "__main__":
    sys.exit(main())
