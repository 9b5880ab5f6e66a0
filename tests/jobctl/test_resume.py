"""Resume finds exactly the rows earlier runs finished, whatever state the log is in."""

from __future__ import annotations

from pathlib import Path

import pytest

from batch.audit.records import AuditRecord, Outcome
from batch.errors import UsageError
from batch.jobctl.resume import RESUMED_REASON, ResumeIndex, damage_warning, load_finished_keys
from batch.operations import Cancel, RemoveSession
from tests.auditlog_factory import attempt, row, run_finished, sending, started, write_log

OK, DONE, SKIP, FAIL = Outcome.SUCCEEDED, Outcome.ALREADY_DONE, Outcome.SKIPPED, Outcome.FAILED


def key(number: int) -> str:
    """The key of the default test target of row `number`."""
    return Cancel(event_id=f"e{number}").key


CASES: dict[str, tuple[list[AuditRecord | str], str, set[int], list[int]]] = {
    "one run, failed rows not counted": (
        [started("r1"), row("r1", 1, OK), row("r1", 2, FAIL), row("r1", 3, DONE)],
        "",
        {1, 3},
        [],
    ),
    "crash-truncated last line": (
        [started("r1"), row("r1", 1, OK)],
        '{"ts":"2026-11-01T22:00:00Z","run_id":"r1","event":"op.fini',
        {1},
        [3],
    ),
    "two previous runs, resumed skips keep counting": (
        [
            started("r1"),
            row("r1", 1, OK),
            row("r1", 2, FAIL),
            run_finished("r1", 1),
            started("r2", resumed=True),
            row("r2", 1, SKIP, reason=RESUMED_REASON),
            row("r2", 2, OK),
            run_finished("r2", 0),
        ],
        "",
        {1, 2},
        [],
    ),
    "resumed skip survives a rotated log": (
        [started("r3", resumed=True), row("r3", 1, SKIP, reason=RESUMED_REASON)],
        "",
        {1},
        [],
    ),
    "other skips are not done": (
        [started("r1"), row("r1", 1, SKIP, reason="dry-run"), row("r1", 2, SKIP)],
        "",
        set(),
        [],
    ),
    "blank and corrupt lines reported, rest used": (
        [started("r1"), "", "   ", "not json", row("r1", 1, OK), "[1,2]", '{"event": 5}'],
        "",
        {1},
        [4, 6, 7],
    ),
    "invalid op.finished is corrupt, unknown events and fields pass": (
        [
            started("r1"),
            '{"event":"op.finished","run_id":"r1"}',
            '{"event":"run.paused","run_id":"r1"}',
            row("r1", 1, OK).model_dump_json()[:-1] + ',"added_in_v2":true}',
        ],
        "",
        {1},
        [2],
    ),
}


@pytest.mark.parametrize(("lines", "tail", "done_rows", "corrupt"), CASES.values(), ids=CASES)
def test_finished_keys(
    tmp_path: Path,
    lines: list[AuditRecord | str],
    tail: str,
    done_rows: set[int],
    corrupt: list[int],
) -> None:
    """Only succeeded/already_done (or resumed) rows are done; bad lines are skipped by number."""
    index = load_finished_keys(write_log(tmp_path / "audit.jsonl", lines, tail))
    assert index.keys == {key(n) for n in done_rows}
    assert list(index.corrupt_lines) == corrupt
    assert index.truncated_tail == bool(tail)


def test_runs_counted_and_last_run_named(tmp_path: Path) -> None:
    """The index counts the runs in the log and names the last one."""
    log = write_log(tmp_path / "a.jsonl", [started("r1"), started("r2"), row("r2", 1, OK)])
    index = load_finished_keys(log)
    assert (index.runs_seen, index.last_run_id) == (2, "r2")
    assert index.is_done(key(1))
    assert not index.is_done(key(2))


def test_email_matches_whatever_its_case(tmp_path: Path) -> None:
    """A row logged with a mixed-case email is done for the same row written in lower case."""
    target = {
        "event_type": "webinar",
        "event_id": "e",
        "registration_email": "Ann.Lee@Contoso.com",
        "session_id": "s",
    }
    log = write_log(
        tmp_path / "a.jsonl", [started("r1"), row("r1", 1, OK, op="remove-session", target=target)]
    )
    operation = RemoveSession(
        event_id="e", registration_email="ann.lee@contoso.com", session_id="s"
    )
    assert load_finished_keys(log).is_done(operation.key)


def test_missing_log_means_first_run(tmp_path: Path) -> None:
    """Resuming with an audit log that does not exist yet resumes nothing."""
    index = load_finished_keys(tmp_path / "absent.jsonl")
    assert (index.keys, index.runs_seen, index.last_run_id) == (frozenset(), 0, None)


def test_unreadable_log_is_a_usage_error(tmp_path: Path) -> None:
    """A path that cannot be read as a file fails with a clear message."""
    with pytest.raises(UsageError, match="cannot read audit log"):
        load_finished_keys(tmp_path)


@pytest.mark.parametrize(
    ("corrupt", "truncated", "expected"),
    [
        ((), False, None),
        ((4,), True, "skipped 1 unreadable line(s) of a.jsonl (line 4; the last was cut off"),
        ((2, 7), False, "skipped 2 unreadable line(s) of a.jsonl (line 2, 7; a run killed"),
        (tuple(range(1, 13)), False, "(line 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 ...;"),
    ],
)
def test_damage_warning(corrupt: tuple[int, ...], truncated: bool, expected: str | None) -> None:
    """A damaged log is named with its unreadable lines (ten at most); a clean one says nothing."""
    index = ResumeIndex(frozenset(), 1, corrupt_lines=corrupt, truncated_tail=truncated)
    warning = damage_warning(index, Path("a.jsonl"))
    if expected is None:
        assert warning is None
    else:
        assert warning is not None
        assert expected in warning


def _sent(number: int, status: int | None) -> list[AuditRecord]:
    """Row `number`'s write sent and answered `status` (no `op.attempt` at all when "lost")."""
    return [sending("r1", number), attempt("r1", number, status, client_request_id=f"c{number}")]


UNSETTLED: dict[str, tuple[list[AuditRecord], set[int]]] = {
    "sent, then the process died": ([started("r1"), sending("r1", 1)], {1}),
    "no answer (timeout, dropped connection)": ([started("r1"), *_sent(1, None)], {1}),
    "gateway answers that may hide a change": (
        [started("r1"), *_sent(1, 500), *_sent(2, 502), *_sent(3, 504)],
        {1, 2, 3},
    ),
    "refusals and rejections, once finished, settle it": (
        [
            started("r1"),
            *[r for n, code in ((1, 503), (2, 429), (3, 403), (4, 400)) for r in _sent(n, code)],
            *[row("r1", n, FAIL) for n in range(1, 5)],
        ],
        set(),
    ),
    "any answer with no op.finished after it (killed, log full)": (
        [started("r1"), *_sent(1, 200), *_sent(2, 204), *_sent(3, 400), *_sent(4, 429)],
        {1, 2, 3, 4},
    ),
    "a 2xx answer then a finished record settles it": (
        [started("r1"), *_sent(1, 200), row("r1", 1, OK)],
        set(),
    ),
    "a row re-sent after it finished is open again": (
        [started("r1"), *_sent(1, 400), row("r1", 1, FAIL), started("r2"), sending("r2", 1)],
        {1},
    ),
    "reads never unsettle a row": (
        [started("r1"), sending("r1", 1, method="GET", purpose="verify")],
        set(),
    ),
    "a later success settles it": ([started("r1"), sending("r1", 1), row("r1", 1, OK)], set()),
    "a failed record does not": (
        [started("r1"), sending("r1", 1), row("r1", 1, FAIL, reason="interrupted")],
        {1},
    ),
}


@pytest.mark.parametrize(("records", "expected"), UNSETTLED.values(), ids=list(UNSETTLED))
def test_unsettled_rows_are_those_whose_write_may_have_landed_unseen(
    tmp_path: Path, records: list[AuditRecord], expected: set[int]
) -> None:
    """`op.sending` without a settling answer marks the row for a read-back before re-sending."""
    index = load_finished_keys(write_log(tmp_path / "a.jsonl", records))
    assert {n for n in range(1, 5) if index.must_read_back(key(n))} == expected
