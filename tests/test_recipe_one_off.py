"""examples/one-off.sh, run for real against a sandbox: validate, plan, review, run, re-run."""

from __future__ import annotations

import asyncio
import csv
import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from batch.operations import FIELD_NAMES
from batch.rehearsal import state_problems
from tests.process_helpers import REPO, RUN_TIMEOUT, sandbox_process, write_rehearsal

pytestmark = pytest.mark.slow

MISSING = [{"op": "cancel", "event_id": f"no-such-event-{n}@contoso"} for n in range(2)]


def _write_manifest(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.DictWriter(stream, fieldnames=FIELD_NAMES)
        writer.writeheader()
        writer.writerows(rows)


def _key(row: dict[str, str]) -> tuple[str, ...]:
    return tuple(row.get(name) or "" for name in FIELD_NAMES)


def _finished(path: Path) -> list[dict[str, Any]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if '"op.finished"' in line]


async def test_one_off_script_end_to_end(tmp_path: Path) -> None:
    """Answering `y` and Enter against a sandbox failing half the writes (one attempt each):
    the plan's not-found rows are skipped, they and the failed rows land in the failures CSV (with
    their reason and source line), the re-run
    retries exactly those, every row not failed at the end is in its intended state, and the
    script's exit code is the re-run's."""
    rehearsal = write_rehearsal(tmp_path, 12, seed=7)
    _write_manifest(tmp_path / "tonight.csv", rehearsal.rows + MISSING)
    faults = ("--fault", "500=0.5", "--fault-class", "write", "--seed", "3")
    async with sandbox_process(rehearsal.world, "--write-limit", "1000/1s", *faults) as sandbox:
        env = {
            **os.environ,
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
            "GRAPH_BATCH_AUTH": "token",
            "GRAPH_ACCESS_TOKEN": sandbox.token,
            "GRAPH_BATCH_BASE_URL": sandbox.url,
            "GRAPH_BATCH_WRITE_LIMIT": "1000/1s",
            "GRAPH_BATCH_MAX_ATTEMPTS": "1",
            "GRAPH_BATCH_CONCURRENCY": "1",
        }
        script = await asyncio.create_subprocess_exec(
            "bash",
            str(REPO / "examples" / "one-off.sh"),
            "tonight.csv",
            cwd=tmp_path,
            env=env,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(script.communicate(b"y\n\n"), timeout=RUN_TIMEOUT)
        state = await sandbox.state()
    printed = out.decode() + err.decode()
    assert "Traceback" not in printed
    plan = json.loads((tmp_path / "tonight.plan.json").read_text())
    assert plan["counts"]["not-found"] == len(MISSING)
    first = _finished(tmp_path / "tonight.audit.jsonl")
    assert sorted(r["reason"] for r in first if r["outcome"] == "skipped") == ["not-in-plan"] * 2
    failed_first = [r["target"] for r in first if r["outcome"] == "failed"]
    assert failed_first, "the faults should have failed some writes"
    with (tmp_path / "tonight.failed.csv").open(newline="", encoding="utf-8") as stream:
        failed_csv = list(csv.DictReader(stream))
    assert f"skipped {len(MISSING)}: not-in-plan: not-found" in printed  # count and why
    flagged = [r for r in failed_csv if r["reason"] == "not-in-plan: not-found"]
    assert len(flagged) == len(MISSING)  # the plan's not-found rows are in the CSV too, with why
    failed_rows = [r for r in failed_csv if r not in flagged]
    assert sorted(r["event_id"] for r in failed_rows) == sorted(t["event_id"] for t in failed_first)
    assert all(r["x-source-line"].startswith("tonight.csv:") for r in failed_csv)
    retried = _finished(tmp_path / "tonight.retry.audit.jsonl")
    assert len(retried) == len(failed_csv)
    still_failed = [r for r in retried if r["outcome"] == "failed"]
    assert script.returncode == (1 if still_failed else 0), printed
    # A retried row's `row` is its line in the failures CSV (line 1 is the header).
    failed_keys = {_key(failed_csv[r["row"] - 2]) for r in still_failed}
    assert state_problems(state, [r for r in rehearsal.rows if _key(r) not in failed_keys]) == []
