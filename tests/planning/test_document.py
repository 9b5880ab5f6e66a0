"""plan.json: streamed round trip, atomic writing, and `load_plan_selection` refusals."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from batch.errors import UsageError
from batch.operations import Cancel, GetSession
from batch.planning.classify import Classification, PlanRow, classify
from batch.planning.document import PlanHeader, PlanWriter
from batch.planning.reader import ReadResult
from batch.planning.selection import load_plan, load_plan_selection
from batch.planning.tally import PlanTally
from batch.settings import RateLimit

SHA = "a" * 64
TARGET = ("https://graph.microsoft.com", "v1.0")
"""Where the plans written here were made."""
HEADER = PlanHeader(
    manifest="jobs/x.csv",
    manifest_sha256=SHA,
    created=datetime(2026, 11, 21, tzinfo=UTC),
    base_url="https://graph.microsoft.com",
    api_version="v1.0",
    read_limit="750/30s",
    write_limit="15/30s",
)
LIMIT = RateLimit(count=15, per_seconds=30)
ROWS = [
    classify(0, 2, Cancel(event_id="e1"), ReadResult(200, {"status": "published"})),
    classify(1, 3, Cancel(event_id="e2"), ReadResult(200, {"status": "canceled"})),
    classify(2, 5, GetSession(event_id="e1", session_id="s"), ReadResult(200, {"id": "s"})),
    classify(3, 6, Cancel(event_id="e3"), ReadResult(404, None, "NotFound")),
]


def write_plan(path: Path, rows: list[PlanRow]) -> PlanTally:
    """Write `rows` as a finished plan at `path`."""
    tally = PlanTally()
    with PlanWriter(path, HEADER) as writer:
        for row in rows:
            tally.add(row)
            writer.add(row)
        writer.finish(tally, LIMIT)
    return tally


@pytest.mark.parametrize("count", [0, 1, 4])
def test_round_trip(tmp_path: Path, count: int) -> None:
    """What is streamed out reads back as the same header, rows and totals."""
    out = tmp_path / "plan.json"
    write_plan(out, ROWS[:count])
    document = load_plan(out)
    assert document.plan_version == 1
    assert document.model_dump(include=set(PlanHeader.model_fields)) == HEADER.model_dump()
    assert [(r.index, r.line, r.key, r.classification) for r in document.rows] == [
        (r.index, r.line, r.key, r.classification) for r in ROWS[:count]
    ]
    assert sum(document.counts.values()) == count


def test_totals(tmp_path: Path) -> None:
    """Counts per classification and op; only destructive will-apply rows count as writes."""
    out = tmp_path / "plan.json"
    write_plan(out, ROWS)
    document = load_plan(out)
    assert document.counts["will-apply"] == 2
    assert document.counts_by_op == {
        "cancel": {"will-apply": 1, "already-done": 1, "not-found": 1},
        "get-session": {"will-apply": 1},
    }
    assert (document.will_apply_writes, document.estimated_write_seconds) == (1, 0.0)


def test_unfinished_plan_leaves_no_file(tmp_path: Path) -> None:
    """An interrupted plan writes nothing: a plan file that exists is complete."""
    out = tmp_path / "plan.json"

    def interrupted() -> None:
        with PlanWriter(out, HEADER) as writer:
            writer.add(ROWS[0])
            raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError):
        interrupted()
    assert list(tmp_path.iterdir()) == []


def test_selection_matches_index_and_key(tmp_path: Path) -> None:
    """Only will-apply rows are selected, and only when both index and key match."""
    out = tmp_path / "plan.json"
    write_plan(out, ROWS)
    selection = load_plan_selection(out, SHA, *TARGET)
    assert selection.includes(0, ROWS[0].key)
    assert selection.includes(2, ROWS[2].key)
    assert not selection.includes(1, ROWS[1].key)  # already done
    assert not selection.includes(3, ROWS[3].key)  # not found
    assert not selection.includes(0, ROWS[2].key)  # row moved: key differs
    assert len(selection) == 2


def _truncated(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    path.write_text(text[: len(text) // 2], encoding="utf-8")


def _other_version(path: Path) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps({**data, "plan_version": 2}), encoding="utf-8")


def _bad_row(path: Path) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    data["rows"][0]["classification"] = "maybe"
    path.write_text(json.dumps(data), encoding="utf-8")


@pytest.mark.parametrize(
    ("spoil", "message"),
    [
        (lambda p: p.unlink(), "does not exist"),
        (_truncated, "not valid JSON"),
        (_other_version, "plan_version: 2"),
        (lambda p: p.write_text("[1, 2]", encoding="utf-8"), "not a graph-batch plan"),
        (_bad_row, r"corrupt: rows\.0\.classification"),
    ],
)
def test_unusable_plan_is_a_usage_error(
    tmp_path: Path, spoil: Callable[[Path], object], message: str
) -> None:
    """Missing, cut-off, other-version or malformed plans are refused with a clear message."""
    out = tmp_path / "plan.json"
    write_plan(out, ROWS)
    spoil(out)
    with pytest.raises(UsageError, match=message) as caught:
        load_plan_selection(out, SHA, *TARGET)
    assert caught.value.exit_code == 2


@pytest.mark.parametrize(
    "target",
    [("https://graph.microsoft.us", "v1.0"), ("https://graph.microsoft.com", "beta")],
)
def test_plan_of_another_target_refused(tmp_path: Path, target: tuple[str, str]) -> None:
    """A plan made against another Graph root or API version says nothing about this one."""
    out = tmp_path / "plan.json"
    write_plan(out, ROWS)
    made_at = r"was made against https://graph\.microsoft\.com"
    with pytest.raises(UsageError, match=made_at) as caught:
        load_plan_selection(out, SHA, *target)
    assert caught.value.exit_code == 2
    assert load_plan_selection(out, SHA, f"{TARGET[0]}/", TARGET[1])  # a trailing / is the same


def test_changed_manifest_refused(tmp_path: Path) -> None:
    """A plan made from other manifest bytes is refused: nothing may be sent."""
    out = tmp_path / "plan.json"
    write_plan(out, ROWS)
    with pytest.raises(UsageError, match="manifest changed since it was planned"):
        load_plan_selection(out, "b" * 64, *TARGET)


def test_classifications_are_stable() -> None:
    """The documented classification names are a contract."""
    assert [c.value for c in Classification] == [
        "will-apply",
        "already-done",
        "not-found",
        "forbidden",
        "error",
        "unknown",
    ]
