"""`graph-batch demo`: a real `graph-batch run --yes` of a YAML job against the in-process sandbox.

The sandbox gets a generated world, limits scaled down 15x in time (20 writes per 2 s) so the
run is paced and throttled yet done in well under a minute, and a few faults (dropped
connections after the change was applied, 503 with Retry-After). Afterwards the demo proves
from the sandbox's own counters that nothing was applied twice and the final state is right.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from batch.cli import main as cli_main
from batch.rehearsal import sandbox_in_thread, state_problems, write_yaml_job
from batch.sandbox import FaultConfig, SandboxConfig, generate_world

OPERATIONS = 150
WRITE_LIMIT = "20/2s"
READ_LIMIT = "200/2s"


def main(out: Path) -> int:
    """Run the demo, writing into `out`; returns 0 when the run and the verification pass."""
    out.mkdir(parents=True, exist_ok=True)
    world, rows = generate_world(OPERATIONS, seed=7)
    job = write_yaml_job(
        rows,
        out / "demo.yaml",
        {"concurrency": 8, "write_limit": WRITE_LIMIT, "read_limit": READ_LIMIT},
    )
    audit = out / "demo-audit.jsonl"
    audit.unlink(missing_ok=True)
    config = SandboxConfig.model_validate(
        {
            "write_limit": WRITE_LIMIT,
            "read_limit": READ_LIMIT,
            "faults": FaultConfig(
                drop_after=0.04, status_503_retry_after=0.04, retry_after_seconds=1
            ),
            "seed": 7,
        }
    )
    with sandbox_in_thread(world, config) as sandbox:
        print(f"Sandbox listening on {sandbox.base_url}; job written to {job}")
        print(f"$ graph-batch run {job} --yes --base-url {sandbox.base_url} --audit-log {audit}\n")
        sys.stdout.flush()
        os.environ["GRAPH_ACCESS_TOKEN"] = sandbox.token
        code = cli_main(
            ["run", str(job), "--yes", "--base-url", sandbox.base_url, "--audit-log", str(audit)]
        )
        stats, state = sandbox.stats(), sandbox.state()
    writes = [row for row in rows if row["op"] != "get-session"]
    twice = {key: n for key, n in stats.applied.items() if n != 1}
    problems = state_problems(state, rows)
    finished = [
        json.loads(line)
        for line in audit.read_text(encoding="utf-8").splitlines()
        if '"op.finished"' in line
    ]
    print("\nVerification against the sandbox's own records:")
    print(f"  requests the sandbox saw:      {stats.requests_total} ({dict(stats.by_status)})")
    print(f"  throttled by the sandbox:      {stats.throttled}   faults injected: {stats.faults}")
    print(f"  changes applied:               {stats.mutations_total} for {len(writes)} write rows")
    print(f"  applied more than once:        {len(twice)}")
    print(f"  rows not in the intended state: {len(problems)}")
    print(f"  op.finished records:           {len(finished)} for {len(rows)} rows")
    for problem in problems[:10]:
        print(f"    {problem}")
    ok = (
        code == 0
        and not twice
        and not problems
        and stats.mutations_total == len(writes)
        and len(finished) == len(rows)
    )
    print("\nDemo " + ("passed." if ok else "FAILED."))
    return 0 if ok else 1
