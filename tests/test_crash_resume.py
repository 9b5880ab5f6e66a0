"""Real processes: `kill -9` mid-run then `--resume`, two runs racing for a lock, failed rows
fed back through `--failures-csv`, and `report` on what such runs leave behind.

The sandbox and the runner each run as `python -m batch`, the runner with a token in
GRAPH_ACCESS_TOKEN, as cron would start them. The sandbox's own counters are the judge: every
change applied exactly once and the world in exactly the state the manifest asked for.
"""

from __future__ import annotations

import csv
import json
import signal
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from batch.exit_codes import ExitCode
from batch.rehearsal import state_problems, write_yaml_job
from tests.process_helpers import (
    Rehearsal,
    SandboxProcess,
    finish,
    finished_rows,
    read_records,
    run_cli,
    sandbox_process,
    start_cli,
    wait_for_records,
    write_rehearsal,
)

ROWS = 48
WRITE_LIMIT = "12/1s"
"""Tight enough that the run's ~35 writes take about three seconds, so a kill lands mid-run."""
CUT_OFF_LINE = '{"ts":"2026-11-21T22:00:00.000000Z","event":"op.fini'
"""What `kill -9` in the middle of a write leaves as the log's last line."""
Records = list[dict[str, Any]]


def _run_args(job: Path, audit: Path, sandbox: SandboxProcess, *extra: str) -> list[str]:
    return [
        "run", str(job), "--yes", "--quiet", "--audit-log", str(audit),
        "--base-url", sandbox.url, "--write-limit", WRITE_LIMIT, *extra,
    ]  # fmt: skip


def _env(sandbox: SandboxProcess) -> dict[str, str]:
    return {"GRAPH_ACCESS_TOKEN": sandbox.token}


def _key(record: dict[str, Any]) -> str:
    return json.dumps([record["op"], record["target"]], sort_keys=True)


def _runs(records: Records) -> list[Records]:
    """The records of each run, in order of `run.started`."""
    ids = [r["run_id"] for r in records if r["event"] == "run.started"]
    return [[r for r in records if r["run_id"] == run_id] for run_id in ids]


def _started(records: Records) -> bool:
    return any(r["event"] == "run.started" for r in records)


def _finished_at_least(count: int) -> Callable[[Records], bool]:
    return lambda records: len(finished_rows(records)) >= count


KILL_POINTS = {
    "after-run-started": _started,
    "after-first-finished": _finished_at_least(1),
    "mid-run": _finished_at_least(ROWS // 2),
}


async def _assert_applied_once(sandbox: SandboxProcess, job: Rehearsal) -> None:
    """The world is as the rows asked, and every change was applied exactly once."""
    assert state_problems(await sandbox.state(), job.rows) == []
    stats = await sandbox.stats()
    writes = sum(1 for row in job.rows if row["op"] != "get-session")
    assert len(stats.applied) == writes
    assert {key: n for key, n in stats.applied.items() if n != 1} == {}


@pytest.mark.slow
@pytest.mark.parametrize("kill_when", list(KILL_POINTS), ids=list(KILL_POINTS))
async def test_kill_9_then_resume_applies_everything_once(tmp_path: Path, kill_when: str) -> None:
    """SIGKILL at a point of the run, then `--resume`: intended state, nothing applied twice.

    Rows the killed run finished are `skipped` (`resumed`) by the resumed run; the rest,
    including rows whose write was in flight at the kill, finish `succeeded` or `already_done`
    (a write the sandbox applied before the kill is verified, not applied again).
    """
    job = write_rehearsal(tmp_path, ROWS, seed=7)
    audit = tmp_path / "audit.jsonl"
    async with sandbox_process(job.world, "--write-limit", WRITE_LIMIT) as sandbox:
        first = await start_cli(*_run_args(job.job, audit, sandbox), env=_env(sandbox))
        await wait_for_records(audit, KILL_POINTS[kill_when], process=first)
        first.kill()
        assert (await finish(first)).code == -signal.SIGKILL
        with audit.open("a", encoding="utf-8") as log:
            log.write(CUT_OFF_LINE)
        resumed = await run_cli(*_run_args(job.job, audit, sandbox, "--resume"), env=_env(sandbox))
        assert resumed.code == ExitCode.OK, resumed.err
        assert resumed.out == ""
        assert "--resume skipped 1 unreadable line(s)" in resumed.err
        assert "took over the stale lock" in resumed.err
        assert f"left by pid {first.pid} on host" in resumed.err
        await _assert_applied_once(sandbox, job)

    killed, last = _runs(read_records(audit))
    assert not any(r["event"] == "run.finished" for r in killed)
    done_before = {
        _key(r) for r in finished_rows(killed) if r["outcome"] in {"succeeded", "already_done"}
    }
    finals = finished_rows(last)
    assert len(finals) == ROWS
    assert len({r["row"] for r in finals}) == ROWS
    resumed_keys = {_key(r) for r in finals if r["outcome"] == "skipped"}
    assert resumed_keys == done_before
    assert all(r["reason"] == "resumed" for r in finals if r["outcome"] == "skipped")
    assert all(
        r["outcome"] in {"succeeded", "already_done"} for r in finals if _key(r) not in done_before
    )
    assert last[-1]["event"] == "run.finished"
    assert last[-1]["exit_code"] == 0

    report = await run_cli("report", str(audit), "--format", "json")
    assert report.code == ExitCode.OK, report.err
    document = json.loads(report.out)
    assert document["corrupt_lines"], "the cut-off line was not noticed"
    assert document["runs"][-1]["finished"] is True
    assert document["runs"][-1]["rows"] == ROWS


@pytest.mark.slow
async def test_second_run_of_a_locked_job_exits_4_and_sends_nothing(tmp_path: Path) -> None:
    """While one run holds the job's lock a second exits 4 at once, naming the holder's pid.

    The sandbox saw exactly the requests the first run logged: the second sent none.
    """
    job = write_rehearsal(tmp_path, ROWS, seed=8)
    audit = tmp_path / "audit.jsonl"
    async with sandbox_process(job.world, "--write-limit", WRITE_LIMIT) as sandbox:
        holder = await start_cli(*_run_args(job.job, audit, sandbox), env=_env(sandbox))
        await wait_for_records(audit, _finished_at_least(1), process=holder)
        second = await run_cli(*_run_args(job.job, audit, sandbox), env=_env(sandbox))
        assert holder.returncode is None, "the first run ended before the second was refused"
        assert second.code == ExitCode.LOCKED
        assert f"pid {holder.pid}" in second.err
        assert second.err.count("\n") == 1
        assert (await finish(holder)).code == ExitCode.OK
        stats = await sandbox.stats()
        await _assert_applied_once(sandbox, job)
    records = read_records(audit)
    assert len(_runs(records)) == 1
    assert stats.requests_total == sum(1 for r in records if r["event"] == "op.attempt")


def _with_unknown_events(job: Rehearsal, count: int) -> list[dict[str, str]]:
    """The job's rows plus `count` cancels of webinars the world does not have (404)."""
    tenant = job.rows[0]["event_id"].split("@")[1]
    unknown = [
        {"op": "cancel", "event_type": "webinar", "event_id": f"0000000{n}-0000@{tenant}"}
        for n in range(count)
    ]
    return [*job.rows, *unknown]


@pytest.mark.slow
async def test_failures_csv_feeds_back_exactly_the_failed_rows(tmp_path: Path) -> None:
    """Rows that fail land in --failures-csv; running that file retries those rows only.

    `report --format junit` on the first run gives one testcase per row, failures marked.
    """
    job = write_rehearsal(tmp_path, 8, seed=9)
    rows = _with_unknown_events(job, 3)
    manifest = write_yaml_job(rows, tmp_path / "with-unknown.yaml")
    first_audit, failed_csv = tmp_path / "audit.jsonl", tmp_path / "failed.csv"
    retry_audit = tmp_path / "retry.jsonl"
    async with sandbox_process(job.world, "--write-limit", WRITE_LIMIT) as sandbox:
        first = await run_cli(
            *_run_args(manifest, first_audit, sandbox, "--failures-csv", str(failed_csv)),
            env=_env(sandbox),
        )
        assert first.code == ExitCode.FAILED, first.err
        retry = await run_cli(*_run_args(failed_csv, retry_audit, sandbox), env=_env(sandbox))
        assert retry.code == ExitCode.FAILED, retry.err
    first_rows = finished_rows(read_records(first_audit))
    failed_first = {_key(r) for r in first_rows if r["outcome"] == "failed"}
    assert len(failed_first) == 3
    with failed_csv.open(encoding="utf-8", newline="") as handle:
        failed_rows = list(csv.DictReader(handle))
    assert {row["error_code"] for row in failed_rows} == {"NotFound"}
    retried = finished_rows(read_records(retry_audit))
    assert {_key(r) for r in retried} == failed_first
    assert len(retried) == 3

    junit = await run_cli("report", str(first_audit), "--format", "junit")
    assert junit.code == ExitCode.FAILED, junit.err
    suite = ET.fromstring(junit.out).find("testsuite")  # noqa: S314 - parsing our own output.
    assert suite is not None
    cases = suite.findall("testcase")
    assert len(cases) == len(rows)
    assert sum(1 for case in cases if case.find("failure") is not None) == 3
