"""`graph-batch demo`: find the targets with `graph-batch list`, then `graph-batch run --yes`
the manifest it wrote, against the in-process sandbox.

The sandbox gets a generated world (events of several organizers, co-organizers, drafts and
canceled ones, over four months), pages of 10 so listing follows `@odata.nextLink`, limits
scaled down 15x in time (20 writes per 2 s) so the run is paced yet done in seconds, and a few
faults (dropped connections after the change was applied, 503 with Retry-After). Afterwards
the demo proves from the sandbox's own records that exactly the events the filter describes
were canceled, each once, and nothing else changed.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from batch.cli import main as cli_main
from batch.exit_codes import ExitCode
from batch.rehearsal import sandbox_in_thread
from batch.sandbox import FaultConfig, SandboxConfig, World, generate_world
from batch.sandbox.generate import ORGANIZER

OPERATIONS = 300
WRITE_LIMIT = "20/2s"
READ_LIMIT = "200/2s"
CUTOFF = "2027-03-01"
LIST_FLAGS = ("--status", "published", "--starts-before", CUTOFF)


def _expected(world: World) -> set[str]:
    """What the filter describes, computed from the world itself: published events I
    organize that start before the cutoff."""
    cutoff = datetime.fromisoformat(CUTOFF).replace(tzinfo=UTC)
    return {
        event.id
        for event in (*world.webinars, *world.townhalls)
        if event.organizer == ORGANIZER and event.status == "published" and event.start < cutoff
    }


def _changed(before: dict[str, Any], after: dict[str, Any]) -> set[str]:
    return {
        event_id
        for collection in ("webinars", "townhalls")
        for event_id, event in after[collection].items()
        if event != before[collection][event_id]
    }


def main(out: Path) -> int:
    """Run the demo, writing into `out`; returns 0 when the listing, the run and the
    verification all pass, 130 at once when Ctrl-C or SIGTERM stopped the listing or the run
    (each already recorded and summarised what it did), else 1."""
    out.mkdir(parents=True, exist_ok=True)
    world, _ = generate_world(OPERATIONS, seed=7)
    job, audit = out / "demo.yaml", out / "demo-audit.jsonl"
    audit.unlink(missing_ok=True)
    config = SandboxConfig.model_validate(
        {
            "write_limit": WRITE_LIMIT,
            "read_limit": READ_LIMIT,
            "page_size": 10,
            "faults": FaultConfig(
                drop_after=0.04,
                status_503_retry_after=0.04,
                retry_after_seconds=1,
                only_class="write",
            ),
            "seed": 4,
        }
    )
    with sandbox_in_thread(world, config) as sandbox:
        base = ("--base-url", sandbox.base_url)
        os.environ["GRAPH_ACCESS_TOKEN"] = sandbox.token
        before = sandbox.state()
        listing = ["list", "events", *LIST_FLAGS, "--op", "cancel", "--out", str(job), "--force"]
        print(f"Sandbox listening on {sandbox.base_url}")
        print(f"$ graph-batch {' '.join(listing)}", flush=True)
        listed = cli_main([*listing, *base])
        sys.stderr.flush()
        if listed == ExitCode.INTERRUPTED:
            return listed  # Ctrl-C: stop now; there is nothing meaningful to verify.
        print(f"\n$ head -n 12 {job}")
        print("\n".join(job.read_text(encoding="utf-8").splitlines()[:12]))
        run = ["run", str(job), "--yes", "--audit-log", str(audit), "--write-limit", WRITE_LIMIT]
        print(f"\n$ graph-batch {' '.join(run)}\n", flush=True)
        code = cli_main([*run, *base])
        if code == ExitCode.INTERRUPTED:
            return code  # A partial run is what Ctrl-C asked for, not a failed demo.
        stats, after = sandbox.stats(), sandbox.state()
    expected, changed = _expected(world), _changed(before, after)
    twice = {key: n for key, n in stats.applied.items() if n != 1}
    finished = [
        json.loads(line)
        for line in audit.read_text(encoding="utf-8").splitlines()
        if '"op.finished"' in line
    ]
    events = len(before["webinars"]) + len(before["townhalls"])
    print("\nVerification against the sandbox's own records:")
    print(f"  events in the tenant:            {events}")
    print(f"  events the filter describes:     {len(expected)} (computed from the world itself)")
    print(f"  events that changed:             {len(changed)}")
    print(f"  changed but not described:       {len(changed - expected)}")
    print(f"  described but not canceled:      {len(expected - changed)}")
    print(f"  requests the sandbox saw:        {stats.requests_total} ({dict(stats.by_status)})")
    print(f"  faults injected:                 {stats.faults}")
    print(f"  applied more than once:          {len(twice)}")
    print(f"  op.finished records:             {len(finished)} for {len(expected)} rows")
    ok = (
        listed == 0
        and code == 0
        and changed == expected
        and all(after[c][e]["status"] == "canceled" for c in after for e in changed & set(after[c]))
        and not twice
        and len(finished) == len(expected)
    )
    print("\nDemo " + ("passed." if ok else "FAILED."))
    return 0 if ok else 1
