"""`graph-batch run` end to end against the in-process sandbox: faults, throttling, refusals,
safety checks. Every run must leave the sandbox exactly in the intended state, apply nothing
twice, and record exactly one `op.finished` per row."""

from __future__ import annotations

import asyncio
import csv
import re
import signal
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from batch.auth.static_source import StaticTokenSource
from batch.exit_codes import ExitCode
from batch.files.identity import identity_of
from batch.jobctl.lock import JobLock
from batch.jobctl.lock_place import audit_log_key, lock_path
from batch.manifest import validate_manifest
from batch.planning.service import make_plan
from batch.planning.settings import PlanSettings
from batch.rehearsal import state_problems, write_yaml_job
from batch.sandbox import Sandbox, World, generate_world
from tests.conftest import SandboxFactory
from tests.process_helpers import finished_rows, wait_for_records
from tests.run_helpers import HUGE, FakeTokenSource, assert_consistent, run

StartSandbox = Callable[..., Awaitable[Sandbox]]
WORLD, ROWS = generate_world(24, seed=3)
WRITES = [row for row in ROWS if row["op"] != "get-session"]
CANCELS = [row for row in ROWS if row["op"] == "cancel"]


@pytest.fixture
def start_sandbox(sandbox_factory: SandboxFactory) -> StartSandbox:
    """Start sandboxes: `await start_sandbox(world=WORLD, **config)`; limits are too high to
    matter unless given."""

    async def start(world: World = WORLD, **config: Any) -> Sandbox:
        return await sandbox_factory(
            world=world, **({"write_limit": HUGE, "read_limit": HUGE} | config)
        )

    return start


async def test_clean_run(start_sandbox: StartSandbox, tmp_path: Path) -> None:
    """Without faults every row succeeds, reads carry the session's details, exit 0."""
    sandbox = await start_sandbox()
    result = await run(ROWS, tmp_path, sandbox.base_url, sandbox.token, quiet=None)
    assert result.code == ExitCode.OK, result.err
    assert result.outcomes == {"succeeded": len(ROWS)}
    assert_consistent(result, sandbox, ROWS)
    read = next(r for r in result.events("op.finished") if r["op"] == "get-session")
    assert read["subject"]
    assert read["startDateTime"]
    assert read["joinWebUrl"]
    assert "graph-batch run summary" in result.out
    started = result.events("run.started")[0]
    assert started["operation_count"] == len(ROWS)
    assert sandbox.token not in "".join(str(record) for record in result.audit)


FAULTS = [
    "status_500",
    "status_503",
    "status_503_retry_after",
    "status_504",
    "status_504_retry_after",
    "drop_before",
    "drop_after",
    "slow",
    "bad_json",
]


@pytest.mark.parametrize("fault", FAULTS)
async def test_each_fault_kind(start_sandbox: StartSandbox, tmp_path: Path, fault: str) -> None:
    """With a third of requests hit by one fault kind the run still ends right, exit 0."""
    faults = {fault: 0.35, "retry_after_seconds": 0, "slow_ms": 20, "slow_jitter_ms": 10}
    sandbox = await start_sandbox(faults=faults, seed=5)
    result = await run(ROWS, tmp_path, sandbox.base_url, sandbox.token, concurrency=6)
    assert result.code == ExitCode.OK, result.err + str(result.events("op.finished"))
    assert_consistent(result, sandbox, ROWS)
    assert sum(sandbox.stats().faults.values()) > 0
    assert len(result.events("op.attempt")) > len(ROWS)


async def test_applied_but_dropped_is_already_done(
    start_sandbox: StartSandbox, tmp_path: Path
) -> None:
    """A write applied and then dropped is verified on its retry and recorded already_done."""
    sandbox = await start_sandbox(faults={"drop_after": 0.5, "only_class": "write"}, seed=2)
    result = await run(WRITES, tmp_path, sandbox.base_url, sandbox.token)
    assert result.code == ExitCode.OK, result.err
    assert result.outcomes["already_done"] > 0
    assert_consistent(result, sandbox, WRITES)
    verified = [a for a in result.events("op.attempt") if a["purpose"] == "verify"]
    assert verified
    assert all(a["method"] == "GET" for a in verified)


async def test_a_write_that_went_through_is_not_sent_again(
    start_sandbox: StartSandbox, tmp_path: Path
) -> None:
    """Every write applied then dropped is read back before any re-send: each target gets
    exactly one write request, and the row is already_done after one attempt (permissive:
    the organizer may list a registration's sessions; see test_published_permissions.py)."""
    sandbox = await start_sandbox(
        faults={"drop_after": 1.0, "only_class": "write"}, seed=4, permissions="permissive"
    )
    result = await run(WRITES, tmp_path, sandbox.base_url, sandbox.token)
    assert result.code == ExitCode.OK, result.err
    assert result.outcomes == {"already_done": len(WRITES)}
    assert_consistent(result, sandbox, WRITES)
    writes_sent = [a for a in result.events("op.attempt") if a["method"] != "GET"]
    assert len(writes_sent) == len(WRITES)
    assert sandbox.stats().by_class["write"] == len(WRITES)
    assert {r["attempts"] for r in result.events("op.finished")} == {1}


@pytest.mark.parametrize("recancel_status", [204, 400, 409])
async def test_second_cancel_is_never_a_failure(
    start_sandbox: StartSandbox, tmp_path: Path, recancel_status: int
) -> None:
    """Re-running cancels of canceled events ends succeeded or already_done, exit 0."""
    sandbox = await start_sandbox(recancel_status=recancel_status)
    first = await run(CANCELS, tmp_path, sandbox.base_url, sandbox.token)
    again = await run(CANCELS, tmp_path, sandbox.base_url, sandbox.token)
    assert (first.code, again.code) == (ExitCode.OK, ExitCode.OK), again.err
    expected = "succeeded" if recancel_status == 204 else "already_done"
    assert again.outcomes == {expected: len(CANCELS)}
    assert_consistent(again, sandbox, CANCELS)


async def test_paced_at_the_limit_is_never_throttled(
    start_sandbox: StartSandbox, tmp_path: Path
) -> None:
    """Runner limits equal to the server's: no 429 at all, and no faster than the limit."""
    sandbox = await start_sandbox(write_limit="8/1s")
    result = await run(
        WRITES, tmp_path, sandbox.base_url, sandbox.token, write_limit="8/1s", concurrency=8
    )
    assert result.code == ExitCode.OK, result.err
    assert sandbox.stats().throttled == 0
    assert result.events("run.finished")[0]["elapsed"] >= (len(WRITES) - 8) / 8 - 0.1
    assert_consistent(result, sandbox, WRITES)


@pytest.mark.parametrize("retry_after_format", ["seconds", "fractional", "http-date"])
async def test_throttled_run_honours_retry_after(
    start_sandbox: StartSandbox, tmp_path: Path, retry_after_format: str
) -> None:
    """A runner set faster than the server is throttled, never comes back before Retry-After
    says, and still finishes every row."""
    sandbox = await start_sandbox(write_limit="10/1s", retry_after_format=retry_after_format)
    result = await run(
        WRITES, tmp_path, sandbox.base_url, sandbox.token, write_limit="1000/1s", concurrency=8
    )
    stats = sandbox.stats()
    assert result.code == ExitCode.OK, result.err
    assert stats.throttled > 0
    # Only requests already on their way when the first 429 was answered arrive "early".
    assert stats.early_retries < 8
    assert result.events("run.finished")[0]["throttled"] == stats.throttled
    assert_consistent(result, sandbox, WRITES)


async def test_app_only_token_cannot_cancel(start_sandbox: StartSandbox, tmp_path: Path) -> None:
    """An app-only token stops a run with cancels before any write: exit 3, nothing changed."""
    sandbox = await start_sandbox()
    result = await run(ROWS, tmp_path, sandbox.base_url, sandbox.app_only_token)
    assert result.code == ExitCode.AUTH
    assert "delegated" in result.err
    assert sandbox.stats().mutations_total == 0
    assert result.outcomes == {"skipped": len(ROWS)}


async def test_refused_writes_stop_the_run(start_sandbox: StartSandbox, tmp_path: Path) -> None:
    """A delegated token that is not the organizer's may not even read the event: the
    pre-flight read is refused, exit 3, no row sent."""
    world, rows = generate_world(90, seed=4)
    cancels = [row for row in rows if row["op"] == "cancel"]
    assert len(cancels) > 5
    sandbox = await start_sandbox(world=world)
    stranger = sandbox.add_token(upn="someone.else@contoso.com")
    result = await run(cancels, tmp_path, sandbox.base_url, stranger, concurrency=1)
    assert result.code == ExitCode.AUTH, result.err
    assert "organizer" in result.err
    assert sandbox.stats().mutations_total == 0
    assert result.outcomes == {"skipped": len(cancels)}
    assert sandbox.stats().by_method == {"GET": 1}


async def test_token_refused_even_after_refresh(
    start_sandbox: StartSandbox, tmp_path: Path
) -> None:
    """An unknown token is refreshed once, refused again: exit 3, every row recorded."""
    sandbox = await start_sandbox()
    source = FakeTokenSource(["not-a-valid-token"])
    result = await run(ROWS, tmp_path, sandbox.base_url, source)
    assert result.code == ExitCode.AUTH
    assert any(call["force_refresh"] for call in source.calls)
    assert sandbox.stats().mutations_total == 0
    assert len(result.events("op.finished")) == len(ROWS)


async def test_cae_challenge_refreshes_with_claims(
    start_sandbox: StartSandbox, tmp_path: Path
) -> None:
    """A 401 with a CAE challenge gets a fresh token asked for with the decoded claims."""
    sandbox = await start_sandbox()
    challenged = sandbox.add_token(cae_challenge=True)
    source = FakeTokenSource([challenged, sandbox.token])
    result = await run(WRITES, tmp_path, sandbox.base_url, source)
    assert result.code == ExitCode.OK, result.err
    refresh = next(call for call in source.calls if call["force_refresh"])
    assert refresh["claims"]
    assert "access_token" in refresh["claims"]
    assert_consistent(result, sandbox, WRITES)


async def test_no_yes_without_terminal_sends_nothing(
    start_sandbox: StartSandbox, tmp_path: Path
) -> None:
    """Destructive rows, no --yes, no terminal: exit 2 and not one request."""
    sandbox = await start_sandbox()
    result = await run(ROWS, tmp_path, sandbox.base_url, sandbox.token, yes=None)
    assert result.code == ExitCode.INVALID
    assert "--yes" in result.err
    assert sandbox.stats().requests_total == 0
    assert result.audit == []


async def test_invalid_manifest_sends_nothing(start_sandbox: StartSandbox, tmp_path: Path) -> None:
    """One bad row anywhere: problems listed, exit 2, not one request."""
    sandbox = await start_sandbox()
    bad = [*ROWS[:5], {"op": "cancel", "event_id": ""}, *ROWS[5:]]
    result = await run(bad, tmp_path, sandbox.base_url, sandbox.token)
    assert result.code == ExitCode.INVALID
    assert "job.yaml:" in result.err
    assert sandbox.stats().requests_total == 0


async def test_dry_run_sends_nothing(start_sandbox: StartSandbox, tmp_path: Path) -> None:
    """--dry-run needs no token, sends nothing, and shows counts and the first requests."""
    sandbox = await start_sandbox()
    result = await run(ROWS, tmp_path, sandbox.base_url, "", dry_run=True, yes=None)
    assert result.code == ExitCode.OK
    assert sandbox.stats().requests_total == 0
    assert "POST /v1.0/solutions/virtualEvents/" in result.out
    assert re.search(r"time\s+at least", result.out)


async def test_duplicates_are_done_once(start_sandbox: StartSandbox, tmp_path: Path) -> None:
    """A repeated row is skipped as a duplicate; the change is applied once."""
    sandbox = await start_sandbox()
    rows = [*WRITES, WRITES[0]]
    result = await run(rows, tmp_path, sandbox.base_url, sandbox.token)
    assert result.code == ExitCode.OK
    skipped = [r for r in result.events("op.finished") if r["outcome"] == "skipped"]
    assert [r["reason"] for r in skipped] == ["duplicate"]
    assert all(count == 1 for count in sandbox.stats().applied.values())


async def test_deadline_skips_the_rest(start_sandbox: StartSandbox, tmp_path: Path) -> None:
    """When the time budget runs out the remaining rows are skipped (deadline), exit 1; the
    summary says how many were not run and how to resume; the failures CSV holds them."""
    sandbox = await start_sandbox()
    failures = tmp_path / "failed.csv"
    result = await run(
        WRITES,
        tmp_path,
        sandbox.base_url,
        sandbox.token,
        write_limit="2/1s",
        deadline="1.2",
        failures_csv=str(failures),
        quiet=None,
    )
    assert result.code == ExitCode.FAILED
    skipped = [r for r in result.events("op.finished") if r["outcome"] == "skipped"]
    assert {r["reason"] for r in skipped} == {"deadline"}
    assert len(result.events("op.finished")) == len(WRITES)
    assert f"{len(skipped)} rows not run; run again with --resume" in result.out
    with failures.open(encoding="utf-8", newline="") as stream:
        undone = list(csv.DictReader(stream))
    assert [(r["reason"], r["x-source-line"]) for r in undone] == [
        ("deadline", f"{tmp_path / 'job.yaml'}:{r['row']}") for r in skipped
    ]


async def test_rows_the_deadline_cut_mid_retry_say_deadline(
    start_sandbox: StartSandbox, tmp_path: Path
) -> None:
    """A row still being retried (503 with Retry-After) when the deadline comes is `failed`
    with reason `deadline`, not `retries-exhausted`: its retries were not spent, its time was."""
    sandbox = await start_sandbox(
        faults={"status_503_retry_after": 1.0, "only_class": "write", "retry_after_seconds": 2}
    )
    result = await run(CANCELS, tmp_path, sandbox.base_url, sandbox.token, deadline="1")
    assert result.code == ExitCode.FAILED
    failed = [r for r in result.events("op.finished") if r["outcome"] == "failed"]
    assert failed
    assert {r["reason"] for r in failed} == {"deadline"}
    assert all(r["status"] == 503 and r["attempts"] < 10 for r in failed)


async def test_manifest_edited_mid_run_stops_cleanly(
    start_sandbox: StartSandbox, tmp_path: Path
) -> None:
    """A manifest broken while it is being run stops the run with one clear line and exit 1
    (not 2: rows were sent), every row read still recorded once, nothing applied twice."""
    sandbox = await start_sandbox()
    job = write_yaml_job(WRITES, tmp_path / "job.yaml")
    audit = tmp_path / "audit.jsonl"

    async def break_manifest_after_first_row() -> None:
        await wait_for_records(audit, lambda records: bool(finished_rows(records)))
        with job.open("a", encoding="utf-8") as manifest:
            manifest.write("  - op: cancle\n    event_id: e\n")

    breaker = asyncio.create_task(break_manifest_after_first_row())
    result = await run(
        job, tmp_path, sandbox.base_url, sandbox.token, write_limit="4/1s", concurrency=1
    )
    await breaker
    assert result.code == ExitCode.FAILED, result.err
    assert "the manifest changed while it was being run" in result.err
    assert "Traceback" not in result.err
    finished = result.events("op.finished")
    assert len({r["row"] for r in finished}) == len(finished)
    assert {r["reason"] for r in finished if r["outcome"] == "skipped"} <= {"not-run"}
    assert all(count == 1 for count in sandbox.stats().applied.values())
    assert result.events("run.finished")[0]["exit_code"] == ExitCode.FAILED


async def test_ctrl_c_records_every_row(start_sandbox: StartSandbox, tmp_path: Path) -> None:
    """SIGINT mid-run: in-flight rows finish, the rest are skipped (not-run), exit 130."""
    sandbox = await start_sandbox()
    audit = tmp_path / "audit.jsonl"

    async def interrupt_after_first_row() -> None:
        # Polling a file written by the code under test: no event to wait on.
        while '"op.finished"' not in (audit.read_text() if audit.exists() else ""):  # noqa: ASYNC110
            await asyncio.sleep(0.02)
        signal.raise_signal(signal.SIGINT)

    killer = asyncio.create_task(interrupt_after_first_row())
    result = await run(WRITES, tmp_path, sandbox.base_url, sandbox.token, write_limit="3/1s")
    await killer
    assert result.code == ExitCode.INTERRUPTED
    assert result.events("run.finished")[0]["interrupted"] is True
    finished = result.events("op.finished")
    assert len(finished) == len(WRITES)
    assert {r["reason"] for r in finished if r["outcome"] == "skipped"} == {"not-run"}
    assert sandbox.stats().mutations_total == result.outcomes["succeeded"]


async def test_failed_rows_go_to_the_failures_csv(
    start_sandbox: StartSandbox, tmp_path: Path
) -> None:
    """A row Graph rejects (unknown event) fails alone: exit 1, Graph's code, failures CSV."""
    sandbox = await start_sandbox()
    ghost = {"op": "cancel", "event_type": "webinar", "event_id": "no-such-event"}
    failures = tmp_path / "failed.csv"
    result = await run(
        [*WRITES, ghost], tmp_path, sandbox.base_url, sandbox.token, failures_csv=str(failures)
    )
    assert result.code == ExitCode.FAILED
    failed = [r for r in result.events("op.finished") if r["outcome"] == "failed"]
    assert [(r["target"]["event_id"], r["status"]) for r in failed] == [("no-such-event", 404)]
    assert failed[0]["error_code"]
    assert "no-such-event" in failures.read_text()
    assert state_problems(sandbox.state(), WRITES) == []
    assert len(result.events("op.finished")) == len(WRITES) + 1


async def test_resume_skips_what_is_done(start_sandbox: StartSandbox, tmp_path: Path) -> None:
    """A second run with --resume on the same audit log sends no finished row again."""
    sandbox = await start_sandbox()
    log = tmp_path / "job-audit.jsonl"
    await run(WRITES[:6], tmp_path, sandbox.base_url, sandbox.token, audit=log, audit_log=str(log))
    result = await run(
        WRITES,
        tmp_path,
        sandbox.base_url,
        sandbox.token,
        audit=log,
        audit_log=str(log),
        resume=True,
    )
    assert result.code == ExitCode.OK, result.err
    skipped = [r["reason"] for r in result.events("op.finished") if r["outcome"] == "skipped"]
    assert skipped == ["resumed"] * 6
    assert result.events("run.started")[0]["resumed"] is True
    assert_consistent(result, sandbox, WRITES)


async def test_shards_split_the_job(start_sandbox: StartSandbox, tmp_path: Path) -> None:
    """--shard 1/2 and 2/2 each do their own rows; together every row exactly once."""
    sandbox = await start_sandbox()
    first = await run(ROWS, tmp_path, sandbox.base_url, sandbox.token, shard="1/2")
    second = await run(ROWS, tmp_path, sandbox.base_url, sandbox.token, shard="2/2")
    rows = [r["row"] for r in first.events("op.finished") + second.events("op.finished")]
    assert sorted(rows) == sorted(set(rows))
    assert len(rows) == len(ROWS)
    assert first.events("op.finished")
    assert second.events("op.finished")
    assert state_problems(sandbox.state(), ROWS) == []


async def test_lock_held_sends_nothing(start_sandbox: StartSandbox, tmp_path: Path) -> None:
    """While another run holds the job's lock: exit 4, not one request."""
    sandbox = await start_sandbox()
    log = tmp_path / "job-audit.jsonl"
    log.touch()
    identity = identity_of(log)
    assert identity is not None
    with JobLock(lock_path(tmp_path / "state", audit_log_key(identity))):
        result = await run(
            ROWS, tmp_path, sandbox.base_url, sandbox.token, audit=log, audit_log=str(log)
        )
    assert result.code == ExitCode.LOCKED
    assert sandbox.stats().requests_total == 0


async def test_max_destructive_refuses(start_sandbox: StartSandbox, tmp_path: Path) -> None:
    """More destructive rows than --max-destructive: exit 2, not one request."""
    sandbox = await start_sandbox()
    result = await run(ROWS, tmp_path, sandbox.base_url, sandbox.token, max_destructive="3")
    assert result.code == ExitCode.INVALID
    assert "max-destructive" in result.err
    assert sandbox.stats().requests_total == 0


async def test_run_exactly_the_plan(start_sandbox: StartSandbox, tmp_path: Path) -> None:
    """With --plan only will-apply rows are sent; the rest are skipped `not-in-plan`."""
    sandbox = await start_sandbox()
    ghost = {"op": "cancel", "event_type": "webinar", "event_id": "no-such-event"}
    manifest = write_yaml_job([*WRITES, ghost], tmp_path / "job.yaml")
    plan_file = tmp_path / "plan.json"
    await make_plan(
        validate_manifest(manifest),
        PlanSettings(base_url=sandbox.base_url, read_limit=HUGE),
        StaticTokenSource(sandbox.token, source="test"),
        out=plan_file,
    )
    result = await run(manifest, tmp_path, sandbox.base_url, sandbox.token, plan=str(plan_file))
    assert result.code == ExitCode.OK, result.err
    skipped = [r for r in result.events("op.finished") if r["outcome"] == "skipped"]
    assert [(r["target"]["event_id"], r["reason"]) for r in skipped] == [
        ("no-such-event", "not-in-plan")
    ]
    assert state_problems(sandbox.state(), WRITES) == []


async def test_stale_plan_is_refused(start_sandbox: StartSandbox, tmp_path: Path) -> None:
    """A plan made for other manifest bytes: exit 2, not one request."""
    sandbox = await start_sandbox()
    manifest = write_yaml_job(WRITES, tmp_path / "job.yaml")
    plan_file = tmp_path / "plan.json"
    await make_plan(
        validate_manifest(manifest),
        PlanSettings(base_url=sandbox.base_url, read_limit=HUGE),
        StaticTokenSource(sandbox.token, source="test"),
        out=plan_file,
    )
    sandbox.reset_stats()
    write_yaml_job(WRITES[:-1], manifest)
    result = await run(manifest, tmp_path, sandbox.base_url, sandbox.token, plan=str(plan_file))
    assert result.code == ExitCode.INVALID
    assert sandbox.stats().requests_total == 0


@pytest.mark.parametrize(("answer", "code"), [("y", ExitCode.OK), ("n", ExitCode.INVALID), ("", 2)])
async def test_terminal_confirmation(
    start_sandbox: StartSandbox, tmp_path: Path, answer: str, code: int
) -> None:
    """On a terminal a destructive run shows who, counts and time, asks, and obeys the answer."""
    sandbox = await start_sandbox()
    result = await run(
        ROWS, tmp_path, sandbox.base_url, sandbox.token, yes=None, terminal_answer=answer
    )
    assert result.code == code
    assert "Proceed? [y/N]" in result.out
    assert "organizer@contoso.com" in result.out
    assert "destructive" in result.out
    assert "at least" in result.out
    sent = sandbox.stats().requests_total
    assert (sent > 0) is (code == ExitCode.OK)
