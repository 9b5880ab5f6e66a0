"""End to end against the sandbox following Microsoft's published permission tables: writes
applied then dropped are settled with reads the organizer's token may make, for every write op.

Each run must reach the intended state, apply nothing twice, report no false failure and
record exactly one `op.finished` per row.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from batch.exit_codes import ExitCode
from batch.sandbox import Sandbox, generate_world
from tests.conftest import SandboxFactory
from tests.run_helpers import HUGE, RunResult, assert_consistent, run

WORLD, ROWS = generate_world(160, seed=11)
WRITE_OPS = ("cancel", "remove-session", "cancel-registration")


async def start(sandbox_factory: SandboxFactory, **config: object) -> Sandbox:
    """A sandbox of WORLD whose limits are too high to matter."""
    return await sandbox_factory(world=WORLD, write_limit=HUGE, read_limit=HUGE, **config)


def reasons(result: RunResult) -> Counter[tuple[str, str | None]]:
    """(outcome, reason) of every row."""
    return Counter((r["outcome"], r["reason"]) for r in result.events("op.finished"))


@pytest.mark.parametrize("op", WRITE_OPS)
async def test_dropped_after_apply_is_settled_within_the_tokens_reach(
    sandbox_factory: SandboxFactory, tmp_path: Path, op: str
) -> None:
    """A third of the writes are applied then dropped: none fails, none is applied twice."""
    rows = [row for row in ROWS if row["op"] == op]
    assert len(rows) >= 10
    sandbox = await start(
        sandbox_factory, faults={"drop_after": 0.35, "only_class": "write"}, seed=7
    )
    result = await run(rows, tmp_path, sandbox.base_url, sandbox.token, concurrency=4)
    assert result.code == ExitCode.OK, result.err + str(reasons(result))
    assert_consistent(result, sandbox, rows)
    assert result.outcomes["failed"] == 0
    assert result.outcomes["already_done"] > 0
    assert sandbox.stats().faults["drop-after"] > 0


async def test_remove_session_is_verified_by_resend(
    sandbox_factory: SandboxFactory, tmp_path: Path
) -> None:
    """The organizer may not list a registration's sessions: a dropped removal is re-sent (a
    `$ref` DELETE is idempotent), its 404 plus reads of the registration and the session make
    it `already_done` with reason `verified-by-resend`; the refused list is asked at most once
    per worker, never per row."""
    rows = [row for row in ROWS if row["op"] == "remove-session"]
    sandbox = await start(
        sandbox_factory, faults={"drop_after": 0.35, "only_class": "write"}, seed=7
    )
    result = await run(rows, tmp_path, sandbox.base_url, sandbox.token, concurrency=2)
    assert result.code == ExitCode.OK, result.err
    by_reason = reasons(result)
    assert by_reason[("already_done", "verified-by-resend")] > 0
    assert set(by_reason) <= {("succeeded", None), ("already_done", "verified-by-resend")}
    refused = [
        a for a in result.events("op.attempt") if a["purpose"] == "verify" and a["status"] == 403
    ]
    assert 0 < len(refused) <= 2 * 2  # two kinds of list (by id, by email) x two workers
    assert_consistent(result, sandbox, rows)


async def test_removal_of_a_session_that_is_not_there_fails_not_found(
    sandbox_factory: SandboxFactory, tmp_path: Path
) -> None:
    """If the DELETE answers 404 and the session does not exist at all, the row fails (not
    found), not `already_done`."""
    row = next(row for row in ROWS if row["op"] == "remove-session")
    sandbox = await start(sandbox_factory)
    result = await run(
        [{**row, "session_id": "no-such-session"}], tmp_path, sandbox.base_url, sandbox.token
    )
    assert result.code == ExitCode.FAILED
    (finished,) = result.events("op.finished")
    assert (finished["outcome"], finished["status"], finished["reason"]) == (
        "failed",
        404,
        "rejected",
    )


@pytest.mark.parametrize("permissions", ["published", "permissive"])
async def test_every_write_op_in_both_modes(
    sandbox_factory: SandboxFactory, tmp_path: Path, permissions: str
) -> None:
    """The same faulty mixed run ends right whatever the permission table."""
    sandbox = await start(
        sandbox_factory,
        faults={"drop_after": 0.1, "status_503": 0.05, "retry_after_seconds": 0},
        seed=3,
        permissions=permissions,
    )
    result = await run(ROWS, tmp_path, sandbox.base_url, sandbox.token, concurrency=6)
    assert result.code == ExitCode.OK, result.err + str(reasons(result))
    assert_consistent(result, sandbox, ROWS)
    assert result.outcomes["failed"] == 0


async def test_get_session_in_the_pages_example_shape(
    sandbox_factory: SandboxFactory, tmp_path: Path
) -> None:
    """With `value`-wrapped sessions and plain-string times, get-session rows still carry the
    subject, both times and the join URL."""
    rows = [row for row in ROWS if row["op"] == "get-session"]
    sandbox = await start(sandbox_factory, shapes="example")
    result = await run(rows, tmp_path, sandbox.base_url, sandbox.token)
    assert result.code == ExitCode.OK, result.err
    for record in result.events("op.finished"):
        assert record["subject"]
        assert record["startDateTime"].endswith("Z")
        assert record["endDateTime"].endswith("Z")
        assert record["joinWebUrl"].startswith("https://")


async def test_a_co_organizer_may_remove_and_cancel_registrations_not_events(
    sandbox_factory: SandboxFactory, tmp_path: Path
) -> None:
    """A co-organizer's token settles dropped removals and registration cancels like the
    organizer's; its cancels of events are refused (403) and stop the run, nothing changed."""
    co = "co.organizer@contoso.com"
    world = WORLD.model_copy(
        update={
            kind: tuple(e.model_copy(update={"co_organizers": (co,)}) for e in getattr(WORLD, kind))
            for kind in ("webinars", "townhalls")
        }
    )
    sandbox = await sandbox_factory(
        world=world,
        write_limit=HUGE,
        read_limit=HUGE,
        faults={"drop_after": 0.3, "only_class": "write"},
        seed=9,
    )
    token = sandbox.add_token(upn=co)
    rows = [row for row in ROWS if row["op"] in ("remove-session", "cancel-registration")]
    result = await run(rows, tmp_path, sandbox.base_url, token, concurrency=4)
    assert result.code == ExitCode.OK, result.err
    assert_consistent(result, sandbox, rows)
    cancels = [row for row in ROWS if row["op"] == "cancel"]
    refused = await run(cancels, tmp_path, sandbox.base_url, token, concurrency=1)
    assert refused.code == ExitCode.AUTH
    assert not any(key.startswith("cancel:") for key in sandbox.stats().applied)
