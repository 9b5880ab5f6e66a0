"""`graph-batch report` summarizes the right run in every format and exits 0, 1 or 2."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from batch.audit.junit import render_junit, xml_safe
from batch.audit.records import AuditRecord, Outcome
from batch.audit.report import TABLE_FAILED_ROWS
from batch.audit.summary import AuditReport, RunSummary
from batch.cli import main
from batch.exit_codes import ExitCode
from tests.auditlog_factory import attempt, row, run_finished, started, write_log

OK, DONE, SKIP, FAIL = Outcome.SUCCEEDED, Outcome.ALREADY_DONE, Outcome.SKIPPED, Outcome.FAILED

FIRST_RUN: list[AuditRecord | str] = [
    started("r1"),
    row("r1", 1, OK),
    attempt("r1", 2, 429),
    row("r1", 2, FAIL, error_code="Forbidden", error_message='not the <organizer> & "x"\x01'),
    row("r1", 3, DONE, op="cancel-registration", target={"event_id": "e", "registration_id": "r"}),
    run_finished("r1", 1, elapsed=75.0, throttled=1),
]
RESUMED_RUN: list[AuditRecord | str] = [
    started("r2", resumed=True),
    row("r2", 1, SKIP, reason="resumed"),
    row("r2", 2, OK),
    row("r2", 3, SKIP, reason="resumed", op="cancel-registration"),
    run_finished("r2", 0, elapsed=3.0),
]


@pytest.fixture
def log(tmp_path: Path) -> Path:
    """A log holding a run with a failure and a clean resumed run after it."""
    return write_log(tmp_path / "audit.jsonl", FIRST_RUN + RESUMED_RUN)


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run `graph-batch report ...` in-process; returns exit code, stdout, stderr."""
    code = main(["report", *argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    ("flags", "run_ids", "code"),
    [([], ["r2"], 0), (["--run-id", "r1"], ["r1"], 1), (["--all"], ["r1", "r2"], 1)],
)
def test_json_reports_the_chosen_runs(
    log: Path, capsys: pytest.CaptureFixture[str], flags: list[str], run_ids: list[str], code: int
) -> None:
    """By default the last run; --run-id and --all choose others; exit 1 only with failures."""
    exit_code, out, _ = run_cli(capsys, str(log), "--format", "json", *flags)
    document = json.loads(out)
    assert [run["run_id"] for run in document["runs"]] == run_ids
    assert exit_code == code


def test_json_document_content(log: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Counts, op x outcome, throttling, timing and failed rows are all in the document."""
    _, out, _ = run_cli(capsys, str(log), "--format", "json", "--run-id", "r1")
    run = json.loads(out)["runs"][0]
    assert run["counts"] == {"succeeded": 1, "already_done": 1, "skipped": 0, "failed": 1}
    assert run["by_op"]["cancel"] == {"succeeded": 1, "already_done": 0, "skipped": 0, "failed": 1}
    assert (run["throttled"], run["elapsed_seconds"], run["exit_code"]) == (1, 75.0, 1)
    assert [(f["row"], f["error_code"]) for f in run["failed"]] == [(2, "Forbidden")]


def test_table_lists_counts_and_failed_rows(log: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The table names the run, its exit code and each failed row's error."""
    code, out, _ = run_cli(capsys, str(log), "--run-id", "r1")
    assert code == 1
    assert "Run r1  manifest tonight.csv" in out
    assert "elapsed 1m15s  throttled 1  exit code 1" in out
    assert "Failed rows (1):" in out
    lines = out.splitlines()
    at = lines.index("  row 2  cancel")
    assert lines[at + 1].strip().startswith("Forbidden: ")
    assert lines[at + 2].strip() == "event_id=e2"


def test_table_caps_failed_rows(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A run with many failures lists only the first ones in the table."""
    rows = [row("r", n, FAIL, error_code="E") for n in range(1, TABLE_FAILED_ROWS + 6)]
    log = write_log(tmp_path / "a.jsonl", [started("r"), *rows])
    _, out, _ = run_cli(capsys, str(log))
    assert f"Failed rows ({TABLE_FAILED_ROWS + 5}, first {TABLE_FAILED_ROWS} shown):" in out
    assert "did not finish" in out


def test_junit_parses_and_counts_match(log: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """JUnit XML parses, with one testcase per row and failure/skip counts that agree."""
    code, out, _ = run_cli(capsys, str(log), "--format", "junit", "--all")
    assert code == 1
    root = ET.fromstring(out)  # noqa: S314 - parsing our own output.
    assert (root.get("tests"), root.get("failures"), root.get("skipped")) == ("6", "1", "2")
    cases = root.findall("testsuite/testcase")
    assert len(cases) == 6
    failure = root.find("testsuite/testcase/failure")
    assert failure is not None
    assert failure.get("message") == "Forbidden"
    assert failure.text == 'not the <organizer> & "x"\\x01'
    assert cases[0].get("classname") == "cancel"
    assert cases[0].get("name") == "row 1 event_id=e1"


def test_out_flag_writes_a_file(
    log: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--out writes the report to a file and nothing to stdout."""
    target = tmp_path / "junit.xml"
    code, out, _ = run_cli(capsys, str(log), "--format", "junit", "--out", str(target))
    assert (code, out) == (0, "")
    assert ET.parse(target).getroot().get("tests") == "3"  # noqa: S314 - our own output.


@pytest.mark.parametrize("flag", ["-o", "--output", "--format"])
def test_output_flag_is_the_format_never_a_file(
    log: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    flag: str,
) -> None:
    """`-o json` (an az CLI habit) prints JSON; it never writes a file named `json`."""
    monkeypatch.chdir(tmp_path)
    code, out, _ = run_cli(capsys, str(log), flag, "json")
    assert code == 0
    assert json.loads(out)["runs"]
    assert not (tmp_path / "json").exists()


def test_output_flag_rejects_a_path(log: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`-o report.txt` is a usage error (exit 2), not a silently written file."""
    with pytest.raises(SystemExit) as exc:
        run_cli(capsys, str(log), "-o", "report.txt")
    assert exc.value.code == 2
    assert "invalid choice: 'report.txt'" in capsys.readouterr().err


def test_truncated_log_is_reported_with_a_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A crash-truncated last line is skipped, named on stderr, and the rest still reported."""
    log = write_log(tmp_path / "a.jsonl", FIRST_RUN[:4], tail='{"event":"op.fin')
    code, out, err = run_cli(capsys, str(log), "--format", "json")
    assert code == ExitCode.UNFINISHED  # the run crashed: no run.finished
    assert json.loads(out)["runs"][0]["rows"] == 2
    assert "skipped 1 unreadable line(s)" in err
    assert "cut off mid-write" in err


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read audit log"),
        ("", "holds no graph-batch runs"),
        ("\n\n", "holds no graph-batch runs"),
        ("op,event_id\ncancel,e1\n", "holds no graph-batch runs: empty or not an audit log (2"),
        ('{"event": "x", "run_id": "r"}\n', "holds no graph-batch runs"),
        ('{"a": 1}\n[1, 2]\n"text"\n', "holds no graph-batch runs"),
        (b"\x89PNG\r\n\x1a\n\x00\xff\xfe\x00garbage\n\xc3", "holds no graph-batch runs"),
        ("\ufeff{}\n".encode("utf-16"), "is not a graph-batch audit log (line 1 holds NUL"),
        (b"\0" * 4096, "is not a graph-batch audit log (line 1 holds NUL bytes: a binary"),
    ],
)
def test_unusable_file_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str | bytes | None, message: str
) -> None:
    """Missing, empty, binary or non-audit files exit 2 with one clear line and no traceback."""
    path = tmp_path / "a.jsonl"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    code, out, err = run_cli(capsys, str(path))
    assert (code, out) == (2, "")
    assert message in err
    assert "Traceback" not in err


def test_unknown_run_id_exits_2(log: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Asking for a run the log lacks names the runs it has."""
    code, _, err = run_cli(capsys, str(log), "--run-id", "nope")
    assert code == 2
    assert "its latest runs are: r1, r2" in err


@given(st.text())
def test_junit_survives_any_error_text(message: str) -> None:
    """Whatever Graph put in an error message, the JUnit XML still parses and keeps it."""
    run = RunSummary("r")
    run.add(row("r", 1, FAIL, error_message=message))
    xml = render_junit(AuditReport(path=Path("a.jsonl"), runs=[run]))
    failure = ET.fromstring(xml).find("testsuite/testcase/failure")  # noqa: S314 - our output.
    assert failure is not None
    # Control characters arrive escaped (CR too), so the parser has no line ends to normalise.
    assert (failure.text or "") == xml_safe(message, keep_newlines=True)


def test_rows_not_run_are_counted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Rows a deadline or Ctrl-C left unrun are counted apart, in the table and the JSON."""
    records: list[AuditRecord] = [
        started("r"),
        row("r", 1, Outcome.SUCCEEDED),
        row("r", 2, Outcome.SKIPPED, reason="deadline"),
        row("r", 3, Outcome.SKIPPED, reason="not-run"),
        row("r", 4, Outcome.SKIPPED, reason="duplicate"),
    ]
    log = write_log(tmp_path / "a.jsonl", records)
    _, out, _ = run_cli(capsys, str(log))
    assert "2 rows not run; run again with --resume" in out
    _, out, _ = run_cli(capsys, str(log), "-o", "json")
    assert json.loads(out)["runs"][0]["not_run"] == 2
