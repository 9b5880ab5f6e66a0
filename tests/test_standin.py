"""The real CLI (`plan`, then `run --yes`) against `tests/standin.py`, a Graph stand-in that is
not our sandbox, once per set of quirks: the stand-in's own state must end as intended, nothing
applied twice or re-sent after a delivered success, one `op.finished` per row, exit codes as
documented and never a traceback."""

from __future__ import annotations

import asyncio
import json
import os
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import structlog
from aiohttp.test_utils import TestServer

from batch.cli import main
from batch.rehearsal import write_yaml_job
from tests.standin import Event, Quirks, Registration, StandIn

TOKEN = "opaque-standin-token"
IDS = ["w1-a@b", "w2+plus@72f9", "t1-o'neil@x", "w4/part%2Fx", "w5 space ünïcødé 日本"]
S1, S2 = "s1@x", "s 2+ü"
DONE_EVENT = "already-canceled@t"


def _world() -> dict[str, Event]:
    """Five events (ids with every awkward character) and one already canceled."""
    events = {}
    for i, event_id in enumerate(IDS):
        kind = "townhall" if event_id.startswith("t") else "webinar"
        registrations = {
            "r1@x": Registration(f"a+{i}@contoso.com", sessions=[S1]),
            f"r2 '{i}'": Registration(f"o'neil+{i}@contoso.com", sessions=[S1, S2]),
            "r3": Registration(f"gone{i}@contoso.com", status="canceled"),
        }
        events[event_id] = Event(
            kind, sessions={S1: "Keynote", S2: "Q&A"}, registrations=registrations
        )
    events[DONE_EVENT] = Event("webinar", status="canceled")
    return events


def _rows(impossible: bool) -> list[dict[str, str]]:
    """20 rows of every op, some already done; with `impossible`, 3 that cannot be done."""
    kinds = {event_id: ("townhall" if event_id.startswith("t") else "webinar") for event_id in IDS}

    def row(op: str, event_id: str, **fields: str) -> dict[str, str]:
        return {
            "op": op,
            "event_type": kinds.get(event_id, "webinar"),
            "event_id": event_id,
        } | fields

    rows = [row("cancel", event_id) for event_id in IDS[:3]] + [row("cancel", DONE_EVENT)]
    for i, event_id in enumerate(IDS):
        if i < 2:
            rows.append(row("remove-session", event_id, registration_id="r1@x", session_id=S1))
            email = f"O'Neil+{i}@contoso.com"
            rows.append(row("remove-session", event_id, registration_email=email, session_id=S2))
        elif i < 4:
            rows.append(row("cancel-registration", event_id, registration_id="r1@x"))
            rows.append(
                row("cancel-registration", event_id, registration_email=f"o'neil+{i}@contoso.com")
            )
        else:
            rows.append(row("cancel-registration", event_id, registration_id="r3"))
            rows.append(row("remove-session", event_id, registration_id="r1@x", session_id=S2))
        rows.append(row("get-session", event_id, session_id=S1 if i % 2 else S2))
    if impossible:
        rows.append(row("cancel", "missing@x"))
        rows.append(row("get-session", IDS[0], session_id="nope"))
        rows.append(row("cancel-registration", IDS[1], registration_email="nobody@contoso.com"))
    return rows


ALREADY_DONE = 3
"""Rows of `_rows` whose change is in place before the run (event, registration, session)."""
REMOVALS_DONE = 1
"""Of those, the remove-session rows."""
IMPOSSIBLE = 3


@dataclass(frozen=True)
class Case:
    """One quirk set and the run flags it is driven with."""

    quirks: Quirks
    impossible: bool = False
    flags: tuple[str, ...] = ("--write-limit", "100/1s")
    expect_faults: bool = False
    marks: tuple[Any, ...] = field(default=())

    @property
    def read_flags(self) -> tuple[str, ...]:
        """The `--read-limit` flag of `flags`, which `plan` takes too."""
        at = self.flags.index("--read-limit") if "--read-limit" in self.flags else None
        return () if at is None else self.flags[at : at + 2]


CASES = {
    "200-body-recancel-204-itemNotFound-no-ids": Case(Quirks(cancel_status=200)),
    "202-409-ResourceNotFound-odd-case-reset-after": Case(
        Quirks(
            cancel_status=202,
            recancel="409",
            not_found="ResourceNotFound",
            request_ids="odd-case",
            write_faults=("reset-after",),
        ),
        expect_faults=True,
    ),
    "400-unknown-empty-404-reset-before-html-json500": Case(
        Quirks(
            recancel="400", not_found="empty", write_faults=("reset-before", "html-502", "json-500")
        ),
        impossible=True,
    ),
    "text-404-odd-sessions-reset-after-json500": Case(
        Quirks(
            recancel="409",
            not_found="text",
            odd_sessions=True,
            write_faults=("reset-after", "json-500"),
        ),
        impossible=True,
    ),
    "published-permissions-example-shapes-reset-after-html502": Case(
        Quirks(
            published=True,
            example_shapes=True,
            recancel="409",
            write_faults=("reset-after", "html-502", "reset-after"),
        ),
        impossible=True,
        expect_faults=True,
    ),
    "published-permissions-every-write-reset-after": Case(
        Quirks(published=True, not_found="empty", write_faults=("reset-after",)),
        expect_faults=True,
    ),
    "slow-answer-past-request-timeout": Case(
        Quirks(write_faults=("slow",), slow_seconds=1.0),
        flags=("--write-limit", "100/1s", "--request-timeout", "0.4"),
    ),
    **{
        f"fixed-window-429-retry-after-{style}": Case(
            Quirks(write_limit=4, read_limit=6, window=1.0, retry_after=style, read_503_every=5),
            flags=("--write-limit", "6/1s", "--read-limit", "8/1s"),
            marks=(pytest.mark.slow,),
        )
        for style in ("date", "fraction", "missing", "zero")
    },
}


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No ambient settings or credentials; the stand-in's token; structlog reset afterwards."""
    for name in list(os.environ):
        if name.startswith(("GRAPH_BATCH_", "AZURE_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("GRAPH_ACCESS_TOKEN", TOKEN)
    monkeypatch.setenv("GRAPH_BATCH_STATE_DIR", str(tmp_path / "state"))
    yield
    structlog.reset_defaults()


@asynccontextmanager
async def _serve(quirks: Quirks) -> AsyncIterator[tuple[StandIn, str]]:
    standin = StandIn(_world(), quirks)
    async with TestServer(standin.app(), host="127.0.0.1") as server:
        yield standin, str(server.make_url("")).rstrip("/")


async def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    """Run the CLI in a thread (the stand-in keeps serving on this loop); no traceback allowed."""
    code = await asyncio.to_thread(main, list(argv))
    _, err = capsys.readouterr()
    assert "Traceback" not in err, err
    return code, err


def _intended_problems(standin: StandIn, rows: list[dict[str, str]]) -> list[str]:
    """Rows whose change the stand-in's own state does not show."""
    problems = []
    for row in rows:
        event = standin.events.get(row["event_id"])
        if row["op"] == "get-session" or event is None:
            continue
        if row["op"] == "cancel":
            ok = event.status == "canceled"
        else:
            email = row.get("registration_email", "").lower()
            found = event.registrations.get(row.get("registration_id", "")) or next(
                (r for r in event.registrations.values() if r.email.lower() == email), None
            )
            if found is None:
                continue
            ok = (
                found.status == "canceled"
                if row["op"] == "cancel-registration"
                else (row["session_id"] not in found.sessions)
            )
        if not ok:
            problems.append(json.dumps(row))
    return problems


def _check_plan(case: Case, rows: list[dict[str, str]], plan: Path) -> None:
    """`plan` saw every will-apply, already-done and missing row for what it is."""
    classes = Counter(row["classification"] for row in json.loads(plan.read_text())["rows"])
    impossible = IMPOSSIBLE * case.impossible
    expected = {"will-apply": len(rows) - ALREADY_DONE - impossible, "already-done": ALREADY_DONE}
    if case.quirks.published:
        # The token may not list a registration's sessions: plan cannot tell, says `unknown`.
        removals = sum(row["op"] == "remove-session" for row in rows)
        expected = {
            "will-apply": expected["will-apply"] - (removals - REMOVALS_DONE),
            "already-done": ALREADY_DONE - REMOVALS_DONE,
            "unknown": removals,
        }
    assert classes == Counter(expected | ({"not-found": impossible} if impossible else {}))


def _check_run(case: Case, rows: list[dict[str, str]], standin: StandIn, audit: Path) -> None:
    """Intended state, each change applied once, one sensible `op.finished` per row."""
    records = [json.loads(line) for line in audit.read_text().splitlines()]
    finished = [r for r in records if r["event"] == "op.finished"]
    assert sorted(r["row"] for r in finished) == sorted({r["row"] for r in finished})
    assert len(finished) == len(rows)
    assert _intended_problems(standin, rows) == []
    assert all(n == 1 for n in standin.records.applied.values()), standin.records.applied
    assert not standin.records.resent_after_success, standin.records.resent_after_success
    writes = [r for r in rows if r["op"] != "get-session"]
    changes = len(writes) - ALREADY_DONE - 2 * case.impossible
    assert sum(standin.records.applied.values()) == changes
    failed = [r for r in finished if r["outcome"] == "failed"]
    assert len(failed) == IMPOSSIBLE * case.impossible, failed
    assert all(r["status"] == 404 and r["reason"] == "rejected" for r in failed), failed
    outcomes = Counter(r["outcome"] for r in finished)
    assert outcomes["skipped"] == 0
    if case.expect_faults:
        assert outcomes["already_done"] > ALREADY_DONE
    sessions = [r for r in finished if r["op"] == "get-session" and r["outcome"] == "succeeded"]
    assert sessions
    assert all(r["subject"] in {"Keynote", "Q&A"} for r in sessions)
    assert all(
        r["startDateTime"] and r["joinWebUrl"] for r in sessions if not case.quirks.odd_sessions
    )
    if case.quirks.published:
        resends = Counter(r["reason"] for r in finished)["verified-by-resend"]
        assert resends >= REMOVALS_DONE


@pytest.mark.parametrize(
    "case", [pytest.param(case, id=name, marks=case.marks) for name, case in CASES.items()]
)
async def test_plan_and_run_against_standin(
    case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Plan then run against one quirk set: documented exit codes, intended state, once each."""
    rows = _rows(case.impossible)
    job = write_yaml_job(rows, tmp_path / "job.yaml")
    plan, audit = tmp_path / "plan.json", tmp_path / "audit.jsonl"
    expected_code = 1 if case.impossible else 0
    async with _serve(case.quirks) as (standin, url):
        plan_args = ("plan", str(job), "--base-url", url, "--out", str(plan), *case.read_flags)
        code, err = await _cli(capsys, *plan_args)
        assert code == expected_code, err
        _check_plan(case, rows, plan)
        assert not standin.records.writes, "plan sent a write"
    async with _serve(case.quirks) as (standin, url):
        run_args = ("run", str(job), "--yes", "--quiet", "--base-url", url, "--audit-log")
        code, err = await _cli(capsys, *run_args, str(audit), *case.flags)
        assert code == expected_code, err
        _check_run(case, rows, standin, audit)
