"""The real runner against a sandbox that admits less than the client is told: it learns the
admitted rate instead of hammering the configured one, alone and with a second run beside it."""

from __future__ import annotations

import asyncio
from pathlib import Path

from structlog.testing import capture_logs

from batch.exit_codes import ExitCode
from batch.rehearsal import write_yaml_job
from batch.sandbox import generate_world
from tests.conftest import SandboxFactory
from tests.run_helpers import HUGE, assert_consistent, run

WORLD, ROWS = generate_world(100, seed=5)
WRITES = [row for row in ROWS if row["op"] != "get-session"][:60]
SERVER = "20/1s"
CEILING = "40/1s"


async def test_a_ceiling_above_the_servers_limit_is_learned(
    sandbox_factory: SandboxFactory, tmp_path: Path
) -> None:
    """Told twice what the sandbox admits, the run is refused only around the first overshoot
    and the probes, settles at or below the admitted rate and logs each pace change."""
    sandbox = await sandbox_factory(world=WORLD, write_limit=SERVER, read_limit=HUGE)
    with capture_logs() as logs:
        result = await run(
            WRITES, tmp_path, sandbox.base_url, sandbox.token, write_limit=CEILING, concurrency=4
        )
    assert result.code == ExitCode.OK, result.err
    assert_consistent(result, sandbox, WRITES)
    # Pacing at the ceiling would be refused 20 times in the first window alone.
    assert sandbox.stats().throttled <= 4 + 3
    finished = result.events("run.finished")[0]
    assert 0 < finished["settled_rate"]["write"] <= 20
    changes = [log for log in logs if log["event"] == "pace.changed"]
    assert changes
    assert changes[0]["before"] == "40/1s"
    assert changes[0]["request_class"] == "write"
    assert "429" in changes[0]["why"]


async def test_two_runs_share_one_budget(sandbox_factory: SandboxFactory, tmp_path: Path) -> None:
    """Two runs at once (one shard each), each told twice the whole budget, both finish every
    row with few 429s: each sees the other's use as throttling and backs off."""
    sandbox = await sandbox_factory(world=WORLD, write_limit=SERVER, read_limit=HUGE)
    job = write_yaml_job(WRITES, tmp_path / "job.yaml")
    results = await asyncio.gather(
        *(
            run(
                job,
                tmp_path,
                sandbox.base_url,
                sandbox.token,
                audit=tmp_path / f"audit-{shard}.jsonl",
                write_limit=CEILING,
                concurrency=4,
                shard=f"{shard}/2",
            )
            for shard in (1, 2)
        )
    )
    assert [result.code for result in results] == [ExitCode.OK, ExitCode.OK]
    assert sum(result.outcomes["succeeded"] for result in results) == len(WRITES)
    for result in results:
        assert set(result.outcomes) == {"succeeded"}
        assert result.events("run.finished")[0]["settled_rate"]["write"] <= 20
    stats = sandbox.stats()
    assert set(stats.applied.values()) == {1}
    assert len(stats.applied) == len(WRITES)
    assert stats.throttled <= 2 * (4 + 3)
