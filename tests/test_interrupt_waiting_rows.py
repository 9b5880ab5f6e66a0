"""Ctrl-C while rows only wait out a 429's `Retry-After` (found by a tester: the run held
them for the 10 s grace and then recorded them `failed`, though none had changed anything)."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import pytest

from batch.exit_codes import ExitCode
from batch.rehearsal import RemoteSandbox
from tests.process_helpers import (
    WAIT_TIMEOUT,
    finish,
    finished_rows,
    read_records,
    sandbox_process,
    start_cli,
    write_rehearsal,
)

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGINT"), reason="needs SIGINT")


async def _until_throttled(server: RemoteSandbox, count: int) -> None:
    """Wait until the sandbox has answered `count` requests 429."""
    for _ in range(int(WAIT_TIMEOUT / 0.05)):
        if server.stats().throttled >= count:
            return
        await asyncio.sleep(0.05)
    pytest.fail(f"the sandbox never answered {count} requests 429")


async def test_ctrl_c_drops_rows_waiting_out_a_retry_after(tmp_path: Path) -> None:
    """Rows answered only 429 and waiting out a 30 s `Retry-After` are `skipped` (not-run)
    at once on SIGINT; no row was applied twice, every row has one `op.finished`, exit 130."""
    job = write_rehearsal(tmp_path, 20, seed=5)
    audit = tmp_path / "audit.jsonl"
    sandbox_flags = ("--write-limit", "2/60s", "--retry-after-429", "30")
    async with sandbox_process(job.world, *sandbox_flags) as sandbox:
        args = ["run", str(job.job), "--yes", "--quiet", "--audit-log", str(audit)]
        args += ["--base-url", sandbox.url, "--write-limit", "50/1s", "--concurrency", "3"]
        process = await start_cli(*args, env={"GRAPH_ACCESS_TOKEN": sandbox.token})
        await _until_throttled(RemoteSandbox(sandbox.url, sandbox.token), 3)
        process.send_signal(signal.SIGINT)
        done = await finish(process)
    assert done.code == ExitCode.INTERRUPTED, done.err
    records = read_records(audit)
    finished = finished_rows(records)
    assert len(finished) == len({r["row"] for r in finished}) == len(job.rows)
    refused = [r for r in finished if r["status"] == 429]
    assert refused
    assert {(r["outcome"], r["reason"]) for r in refused} == {("skipped", "not-run")}
    assert records[-1]["event"] == "run.finished"
