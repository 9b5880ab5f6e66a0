"""The failures CSV keeps the input's columns, round-trips any text, and is all-or-nothing."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from batch.errors import UsageError
from batch.exit_codes import ExitCode
from batch.jobctl.failures import FailuresCsvWriter, failure_columns, yaml_columns
from batch.operations import FIELD_NAMES

ADDED = ("x-source-line", "error_code", "error_message", "reason")
"""The columns every failures CSV ends with."""
BLANK = {"x-source-line": "", "reason": ""}


def read_back(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    """Header and rows of a CSV, read the way a manifest loader would."""
    with path.open(encoding="utf-8", newline="") as stream:
        reader = csv.DictReader(stream)
        rows = list(reader)
        return list(reader.fieldnames or []), rows


@pytest.mark.parametrize(
    ("input_columns", "expected"),
    [
        (("event_id", "op"), ("event_id", "op", *ADDED)),
        (
            ("op", "error_message", "event_id", "x-source-line", "error_code", "x-ticket"),
            ("op", "event_id", "x-ticket", *ADDED),
        ),
        ((), ADDED),
    ],
)
def test_failure_columns(input_columns: tuple[str, ...], expected: tuple[str, ...]) -> None:
    """Input order is kept, and a fed-back failures CSV gets one fresh set of added columns."""
    assert failure_columns(input_columns) == expected


def test_yaml_columns_are_standard_plus_sorted_labels() -> None:
    """YAML input gets the standard columns, then every x- label any row has."""
    rows = [{"op": "cancel", "x-team": "a"}, {"op": "cancel", "x-cab": "b", "x-team": "c"}]
    assert yaml_columns(rows) == (*FIELD_NAMES, "x-cab", "x-team")


def test_failed_rows_written_in_input_columns(tmp_path: Path) -> None:
    """Each failed row keeps its raw fields in the input order; missing ones are empty."""
    path = tmp_path / "failed.csv"
    with FailuresCsvWriter(path, ["x-ticket", "op", "event_id", "error_code"]) as out:
        out.add({"op": "cancel", "event_id": "e1", "x-ticket": "CHG1"}, "Forbidden", "not yours")
        out.add({"op": "cancel", "event_id": "e2", "error_code": "old"}, "NotFound", "gone")
    header, rows = read_back(path)
    assert header == ["x-ticket", "op", "event_id", *ADDED]
    assert rows == [
        {
            "x-ticket": "CHG1",
            "op": "cancel",
            "event_id": "e1",
            "error_code": "Forbidden",
            "error_message": "not yours",
        }
        | BLANK,
        {
            "x-ticket": "",
            "op": "cancel",
            "event_id": "e2",
            "error_code": "NotFound",
            "error_message": "gone",
        }
        | BLANK,
    ]
    assert path.stat().st_mode & 0o777 == 0o600
    assert list(tmp_path.iterdir()) == [path]


safe_text = st.text(st.characters(exclude_categories=["Cs"]))


@settings(max_examples=50)
@given(value=safe_text, message=safe_text)
def test_any_text_round_trips(
    tmp_path_factory: pytest.TempPathFactory, value: str, message: str
) -> None:
    """Commas, quotes, newlines and unicode in any field come back unchanged."""
    path = tmp_path_factory.mktemp("rt") / "failed.csv"
    with FailuresCsvWriter(path, ["op", "event_id"]) as out:
        out.add({"op": "cancel", "event_id": value}, "E", message)
    _, rows = read_back(path)
    assert rows == [
        {"op": "cancel", "event_id": value, "error_code": "E", "error_message": message} | BLANK
    ]


def test_unencodable_message_does_not_stop_the_run(tmp_path: Path) -> None:
    """A lone surrogate (from a JSON escape) is replaced, not raised."""
    path = tmp_path / "failed.csv"
    with FailuresCsvWriter(path, ["op"]) as out:
        out.add({"op": "cancel"}, "E", "bad \ud800 text")
    assert read_back(path)[1][0]["error_message"] == "bad ? text"


@pytest.mark.parametrize("stale", [True, False])
def test_no_failures_means_no_file(tmp_path: Path, stale: bool) -> None:
    """A run without failures leaves no failures CSV, removing one left by an earlier run."""
    path = tmp_path / "failed.csv"
    if stale:
        path.write_text("op,error_code,error_message\ncancel,E,old\n")
    with FailuresCsvWriter(path, ["op"]):
        pass
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "content",
    [
        "op,event_id,error_code,error_message\ncancel,ev1,E,m\n",  # another job's columns
        "",  # an empty file the user made
    ],
)
def test_no_failures_never_removes_a_file_that_is_not_this_jobs(
    tmp_path: Path, content: str
) -> None:
    """With nothing failed, a file that is not this job's failures CSV stays, byte for byte."""
    path = tmp_path / "failed.csv"
    path.write_text(content)
    with FailuresCsvWriter(path, ["op"]):
        pass
    assert path.read_text() == content
    assert [entry.name for entry in tmp_path.iterdir()] == ["failed.csv"]


@pytest.mark.parametrize("content", ["my notes\n", "op,event_id\ncancel,ev1\n", "\x00\x01"])
def test_a_file_that_is_no_failures_csv_is_refused_untouched(tmp_path: Path, content: str) -> None:
    """An existing file whose header lacks the error columns: exit 2, the file unchanged."""
    path = tmp_path / "failed.csv"
    path.write_text(content)
    with pytest.raises(UsageError, match="is not a failures CSV") as info:
        FailuresCsvWriter(path, ["op"]).__enter__()
    assert info.value.exit_code == ExitCode.INVALID
    assert path.read_text() == content
    assert [entry.name for entry in tmp_path.iterdir()] == ["failed.csv"]


def test_an_aborted_run_keeps_the_earlier_failures_csv(tmp_path: Path) -> None:
    """A run that stops on an error before any row keeps the last run's failures CSV."""
    path = tmp_path / "failed.csv"
    path.write_text("op,error_code,error_message\ncancel,E,old\n")
    with pytest.raises(OSError, match="disk"), FailuresCsvWriter(path, ["op"]):
        raise OSError(28, "disk full")
    assert path.read_text() == "op,error_code,error_message\ncancel,E,old\n"


def test_rows_added_before_an_interruption_are_kept(tmp_path: Path) -> None:
    """Ctrl-C during the run still leaves the failures recorded so far."""
    path = tmp_path / "failed.csv"

    def interrupted_run() -> None:
        with FailuresCsvWriter(path, ["op"]) as out:
            out.add({"op": "cancel"}, "E", "m")
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        interrupted_run()
    assert read_back(path)[1] == [{"op": "cancel", "error_code": "E", "error_message": "m"} | BLANK]


def test_existing_file_is_replaced_only_at_the_end(tmp_path: Path) -> None:
    """Until the run ends, readers still see the previous complete file."""
    path = tmp_path / "failed.csv"
    previous = "op,error_code,error_message\ncancel,E,previous\n"
    path.write_text(previous)
    with FailuresCsvWriter(path, ["op"]) as out:
        out.add({"op": "cancel"}, "E", "m")
        assert path.read_text() == previous
    assert read_back(path)[0] == ["op", *ADDED]


def test_unwritable_directory_fails_before_the_run(tmp_path: Path) -> None:
    """A failures CSV in a missing directory is a usage error when the writer opens."""
    with (
        pytest.raises(UsageError, match="cannot write failures CSV"),
        FailuresCsvWriter(tmp_path / "missing" / "f.csv", ["op"]),
    ):
        pass  # pragma: no cover - never reached.


def test_source_line_and_reason_kept_across_re_runs(tmp_path: Path) -> None:
    """A row keeps the line it first came from; `reason` says why it is in the file."""
    path = tmp_path / "failed.csv"
    with FailuresCsvWriter(path, ["op", "x-source-line"]) as out:
        out.add({"op": "cancel"}, "", "", reason="deadline", source="tonight.csv:7")
        out.add(
            {"op": "cancel", "x-source-line": "tonight.csv:9"},
            "NotFound",
            "gone",
            reason="rejected",
            source="failed-1.csv:2",
        )
    rows = read_back(path)[1]
    assert [(r["x-source-line"], r["reason"]) for r in rows] == [
        ("tonight.csv:7", "deadline"),
        ("tonight.csv:9", "rejected"),
    ]


@pytest.mark.parametrize("bom", [True, False])
def test_bom_written_when_the_input_had_one(tmp_path: Path, bom: bool) -> None:
    """Excel's UTF-8 BOM comes back out when the input had it, and only then."""
    path = tmp_path / "failed.csv"
    with FailuresCsvWriter(path, ["op"], bom=bom) as out:
        out.add({"op": "cancel"}, "E", "m")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf") is bom
