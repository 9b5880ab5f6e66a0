"""Measure one faulty run per write op in both sandbox permission modes (not a test).

    .venv/bin/python -m tests.measure_permissions [--rows 300] [--drop-after 0.05]

For each write op: N rows of that op, connections dropped after the change was applied with the
given probability, the organizer's delegated token; prints false failures (rows `failed` whose
target is in the intended state), changes applied more than once, rows not in the intended
state, and the outcomes with their reasons.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from collections import Counter
from pathlib import Path

from batch.rehearsal import state_problems
from batch.sandbox import FaultConfig, SandboxConfig, generate_world, serve
from tests.run_helpers import HUGE, run

WRITE_OPS = ("remove-session", "cancel-registration", "cancel")


async def measure(op: str, permissions: str, rows_wanted: int, drop_after: float) -> str:
    """One run; returns its line of figures."""
    world, rows = generate_world(rows_wanted * 12, seed=21)
    rows = [row for row in rows if row["op"] == op][:rows_wanted]
    config = SandboxConfig.model_validate(
        {
            "write_limit": HUGE,
            "read_limit": HUGE,
            "permissions": permissions,
            "faults": FaultConfig(drop_after=drop_after, only_class="write"),
            "seed": 5,
        }
    )
    async with serve(world, config) as sandbox:
        with tempfile.TemporaryDirectory() as tmp:
            result = await run(rows, Path(tmp), sandbox.base_url, sandbox.token, concurrency=4)
        state, stats = sandbox.state(), sandbox.stats()
    finished = result.events("op.finished")
    false_failures = sum(
        1
        for record in finished
        if record["outcome"] == "failed"
        and not state_problems(state, [row_of(rows, record["target"])])
    )
    twice = sum(count - 1 for count in stats.applied.values() if count > 1)
    reasons = Counter(f"{r['outcome']}/{r['reason'] or '-'}" for r in finished)
    return (
        f"{op:20} {permissions:10} rows={len(rows):4} dropped={stats.faults['drop-after']:3} "
        f"false_failures={false_failures:3} applied_twice={twice} "
        f"not_intended={len(state_problems(state, rows))} exit={result.code} "
        f"{dict(sorted(reasons.items()))}"
    )


def row_of(rows: list[dict[str, str]], target: dict[str, str]) -> dict[str, str]:
    """The manifest row an `op.finished` record's `target` names."""
    return next(row for row in rows if all(row.get(k) == v for k, v in target.items()))


def main() -> None:
    """Print one line per (op, permission mode)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=300)
    parser.add_argument("--drop-after", type=float, default=0.05)
    args = parser.parse_args()
    for op in WRITE_OPS:
        for permissions in ("published", "permissive"):
            print(asyncio.run(measure(op, permissions, args.rows, args.drop_after)), flush=True)


if __name__ == "__main__":
    main()
