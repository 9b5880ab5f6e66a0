"""CSV manifests: every op reads correctly, and every kind of bad input is one clear problem."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from batch.errors import ManifestError
from batch.jobctl.failures import FailuresCsvWriter
from batch.manifest import iter_entries, validate_manifest
from batch.manifest.source import MAX_LINE_BYTES
from batch.operations import Cancel, CancelRegistration, EventType, GetSession, RemoveSession
from tests.manifest_files import HEADER, only_error, write


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ("cancel,,e1,,,", Cancel(event_id="e1")),
        ("cancel,townhall,e1,,,", Cancel(event_type=EventType.TOWNHALL, event_id="e1")),
        (
            "remove-session,,e,r,,s",
            RemoveSession(event_id="e", registration_id="r", session_id="s"),
        ),
        (
            "remove-session,webinar,e,,a@contoso.com,s",
            RemoveSession(event_id="e", registration_email="a@contoso.com", session_id="s"),
        ),
        ("cancel-registration,,e,r,,", CancelRegistration(event_id="e", registration_id="r")),
        (
            "cancel-registration,townhall,e,,b@contoso.com,",
            CancelRegistration(
                event_type=EventType.TOWNHALL, event_id="e", registration_email="b@contoso.com"
            ),
        ),
        ("get-session,,e,,,s", GetSession(event_id="e", session_id="s")),
    ],
)
def test_each_op_reads(tmp_path: Path, row: str, expected: object) -> None:
    """Each op's row becomes exactly the operation it describes."""
    path = write(tmp_path, "m.csv", HEADER + row + "\n")
    assert validate_manifest(path).ok
    [entry] = iter_entries(path)
    assert entry.operation == expected
    assert entry.index == 0
    assert entry.location.line == 2


@pytest.mark.parametrize(
    ("content", "fields"),
    [
        (b"OP,Event_ID\ncancel,e\n", {"op": "cancel", "event_id": "e"}),
        (b" op , Event ID ,Event-Type\ncancel,e,townhall\n", {"op": "cancel", "event_id": "e"}),
        (b"op,event_id,X-Ticket\ncancel,e,T-1\n", {"x-Ticket": "T-1"}),
        (b"op,event_id,,,\ncancel,e,,,\n,,,,\ncancel,f\n", {"op": "cancel", "event_id": "e"}),
        (b"op,event_type,event_id\nCancel,Webinar,e\n", {"op": "Cancel", "event_type": "Webinar"}),
        (b"\xef\xbb\xbfop,event_id\r\ncancel,e\ncancel,f\r\n", {"op": "cancel"}),
    ],
)
def test_spreadsheet_spellings_are_accepted(
    tmp_path: Path, content: bytes, fields: dict[str, str]
) -> None:
    """Column names in any case/spacing, Excel's trailing empty columns and capitalised keywords."""
    path = write(tmp_path, "m.csv", content)
    validation = validate_manifest(path)
    assert validation.ok, [str(p) for p in validation.errors]
    first = next(iter_entries(path))
    assert first.fields.items() >= fields.items()
    assert first.operation.op == "cancel"
    assert first.operation.event_type in {"webinar", "townhall"}


@pytest.mark.parametrize("spelling", ["Town hall", "Town Hall", "town-hall", "TOWN_HALL"])
def test_town_hall_as_teams_and_spreadsheets_write_it(tmp_path: Path, spelling: str) -> None:
    """`Town Hall` (Teams' own spelling) and its variants read as `townhall`."""
    path = write(tmp_path, "m.csv", f"op,event_type,event_id\ncancel,{spelling},e\n")
    assert next(iter_entries(path)).operation.event_type == "townhall"


@pytest.mark.parametrize("spelling", ["townhal", "Townhalls", "web inars"])
def test_near_miss_event_type_gets_a_hint(tmp_path: Path, spelling: str) -> None:
    """A misspelt event type is an error that says which one was meant."""
    path = write(tmp_path, "m.csv", f"op,event_type,event_id\ncancel,{spelling},e\n")
    problem = only_error(path)
    assert problem.field == "event_type"
    assert "did you mean" in problem.message


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("registration_email", "jo@contoso.com "),
        ("registration_email", " jo@contoso.com"),
        ("registration_id", "r1 "),
        ("event_id", " e"),
    ],
)
def test_surrounding_spaces_are_an_error_on_ids_and_emails_alike(
    tmp_path: Path, column: str, value: str
) -> None:
    """A trailing space from a spreadsheet cell is reported the same way on every id field."""
    ids = {"event_id": "e", "registration_id": "", "registration_email": ""} | {column: value}
    content = (
        "op,event_id,registration_id,registration_email\n"
        f'cancel-registration,"{ids["event_id"]}","{ids["registration_id"]}",'
        f'"{ids["registration_email"]}"\n'
    )
    problem = only_error(write(tmp_path, "m.csv", content))
    assert (problem.field, problem.message) == (column, "must not start or end with whitespace")


def test_email_is_sent_as_written_and_compared_without_case(tmp_path: Path) -> None:
    """The domain is not lowercased in the request; the same address in other case is a repeat."""
    path = write(
        tmp_path,
        "m.csv",
        "op,event_id,registration_email\n"
        "cancel-registration,e,Jo.ONeil@Contoso.COM\n"
        "cancel-registration,e,jo.oneil@contoso.com\n",
    )
    first = next(iter_entries(path)).operation
    assert isinstance(first, CancelRegistration)
    assert first.registration_email == "Jo.ONeil@Contoso.COM"
    assert "Jo.ONeil%40Contoso.COM" in first.path
    assert validate_manifest(path).duplicate_indexes == frozenset({1})


def test_columns_in_any_order_bom_crlf_labels(tmp_path: Path) -> None:
    """Column order is free, a BOM and CRLF are fine, x- columns become labels."""
    text = "\ufeffevent_id,x-ticket,op\r\ne1,T-1,cancel\r\n\r\n,,\r\ne2,,cancel\r\n"
    path = write(tmp_path, "m.csv", text)
    validation = validate_manifest(path)
    assert validation.ok, validation.errors
    assert validation.columns == ("event_id", "x-ticket", "op")
    assert validation.counts_by_op == {"cancel": 2}
    first, second = iter_entries(path)
    assert first.labels == {"x-ticket": "T-1"}
    assert first.fields == {"event_id": "e1", "x-ticket": "T-1", "op": "cancel"}
    assert second.labels == {}
    assert (second.index, second.location.line) == (1, 5)


def test_record_line_is_where_a_multiline_record_starts(tmp_path: Path) -> None:
    """Lines are spreadsheet lines: a quoted field spanning lines does not shift later rows."""
    text = HEADER + 'cancel,,"e\n1",,,\ncancel,,e2,,,\ncancle,,e3,,,\n'
    validation = validate_manifest(write(tmp_path, "m.csv", text))
    assert [(p.line, p.field) for p in validation.errors] == [(2, "event_id"), (5, "op")]


@pytest.mark.parametrize(
    ("content", "line", "field", "message"),
    [
        (b"", None, None, "file is empty"),
        (HEADER.encode(), None, None, "no operations"),
        (b"op,event_id,event_id\ncancel,a,b\n", 1, "event_id", "duplicate column"),
        (b"op,event_id,sesion_id\n", 1, "sesion_id", "did you mean 'session_id'?"),
        (b"op,,event_id\n", 1, None, "column 2 has no name"),
        (
            b"op,event_id,,\ncancel,e,,x\n",
            2,
            None,
            "column 4 has no name in the header but holds 'x'",
        ),
        (b"op,event_id,,\ncancel,e,,,\n", 2, None, "row has 5 fields but the header has 2 to 4"),
        (b"op;event_id\ncancel;e\n", 1, None, "looks semicolon-separated; save it comma-separated"),
        (b"op\tevent_id\ncancel\te\n", 1, None, "looks tab-separated"),
        (b"op,event_id\rcancel,e\r", 1, None, "bare CR (classic Mac format)"),
        (b"op,event_id\r\ncancel,e\rcancel,f\r\n", 2, None, "bare CR"),
        (b"# jobs for tonight\nop,event_id\ncancel,e\n", 1, None, "must be the header"),
        (b"op,event_id\n# skip the next one\ncancel,e\n", 2, None, "no comment lines"),
        (b"op,event_id\n#cancel,e\n", 2, "op", "no comment rows: delete the row"),
        (b"OP,event_id,Op\ncancel,e,e\n", 1, "op", "duplicate column"),
        (b"op,event_id\nKancel,e\n", 2, "op", "did you mean 'cancel'?"),
        (b"op,session_id\n", 1, None, "missing required column 'event_id'"),
        (b"op,event_id\ncancel,e1,extra\n", 2, None, "row has 3 fields but the header has 2"),
        (b"op,event_id\nremove-session\n", 2, None, "row has 1 field but the header has 2"),
        (b"op,event_id\ncancel,e1\ncancel,\xe9t\xe9\n", 3, None, "not valid UTF-8"),
        (b"op,event_id\ncancel,e\x00\n", 2, None, "NUL bytes"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", 1, None, "not valid UTF-8"),
        ("op,event_id\ncancel,e\n".encode("utf-16"), 1, None, "UTF-16 text"),
        ("op,event_id\ncancel,e\n".encode("utf-16-be"), 1, None, "save it as UTF-8"),
        ("op,event_id\ncancel,e\n".encode("utf-16-le"), 1, None, "save it as UTF-8"),
        (b'op,event_id\ncancel,"e1"x\n', 2, None, "not valid CSV"),
        (b"op,event_id\ncancle,e1\n", 2, "op", "unknown op 'cancle' (expected one of cancel,"),
        (b"op,event_id\n,e1\n", 2, "op", "required"),
        (b"op,event_type,event_id\ncancel,webinars,e\n", 2, "event_type", "must be webinar or"),
        (b"op,event_id\ncancel, e1\n", 2, "event_id", "must not start or end with whitespace"),
        (b"op,event_id\nget-session,e\n", 2, "session_id", "required for op 'get-session'"),
        (b"op,event_id,session_id\ncancel,e,s\n", 2, "session_id", "not used by op 'cancel'"),
        (
            b"op,event_id,registration_id,registration_email,session_id\n"
            b"remove-session,e,r,a@contoso.com,s\n",
            2,
            "registration_id",
            "give exactly one of registration_id or registration_email",
        ),
        (
            b"op,event_id,registration_email\ncancel-registration,e,not-an-email\n",
            2,
            "registration_email",
            "not a valid email address",
        ),
    ],
)
def test_bad_csv_is_one_clear_problem(
    tmp_path: Path, content: bytes, line: int | None, field: str | None, message: str
) -> None:
    """Each kind of bad CSV gives one error at the right line and field, saying what is wrong."""
    problem = only_error(write(tmp_path, "m.csv", content))
    assert (problem.line, problem.field) == (line, field)
    assert message in problem.message
    assert problem.severity == "error"


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("x" * 10_000_000, f"line longer than {MAX_LINE_BYTES:,} bytes"),
        ('"' + "xxxxxxxx\n" * 20_000 + '"', "field too large (over 131,072 characters"),
        ('"unclosed\n' + "cancel,,e3,,,\n" * 20_000, "field too large (over 131,072 characters"),
    ],
    ids=["one-line", "quoted-over-many-lines", "unclosed-quote"],
)
def test_huge_field_is_reported_short(tmp_path: Path, cell: str, message: str) -> None:
    """A huge cell, on one line or spread over many, ends the reading at its line with one
    short error that does not repeat the value."""
    content = HEADER + "cancel,,e1,,,\n" + "cancel,,e2,," + cell + ",\n" + "cancel,,e9,,,\n"
    validation = validate_manifest(write(tmp_path, "m.csv", content))
    [problem] = validation.errors
    assert problem.line == 3
    assert message in problem.message
    assert len(str(problem)) < 300


def test_long_value_is_truncated_in_messages(tmp_path: Path) -> None:
    """A long bad value is shown cut short with its length."""
    problem = only_error(write(tmp_path, "m.csv", HEADER + "cancel," + "w" * 5000 + ",e,,,\n"))
    assert "(5,000 characters)" in problem.message
    assert len(problem.message) < 200


def test_errors_are_capped_but_counted(tmp_path: Path) -> None:
    """Only the first 100 errors are kept; the count covers all of them."""
    validation = validate_manifest(write(tmp_path, "m.csv", HEADER + "bad,,e,,,\n" * 250))
    assert validation.error_count == 250
    assert len(validation.errors) == 100
    assert validation.errors[0].line == 2
    assert validation.operation_count == 250


def test_duplicates_are_warnings_naming_both_lines(tmp_path: Path) -> None:
    """A repeated op+target (email case ignored) is a warning naming the first line."""
    rows = [
        "cancel,,e1,,,",
        "remove-session,,e,,A@Contoso.com,s",
        "cancel,,e2,,,",
        "cancel,webinar,e1,,,",
        "remove-session,,e,,a@contoso.com,s",
        "cancel,townhall,e1,,,",
    ]
    validation = validate_manifest(write(tmp_path, "m.csv", HEADER + "\n".join(rows) + "\n"))
    assert validation.ok
    assert [str(w) for w in validation.warnings] == [
        f"{tmp_path / 'm.csv'}:5: warning: duplicate of line 2",
        f"{tmp_path / 'm.csv'}:6: warning: duplicate of line 3",
    ]
    assert validation.duplicate_indexes == frozenset({3, 4})
    assert validation.warning_count == 2


def test_unreadable_paths_are_problems(tmp_path: Path) -> None:
    """A missing file, a directory or a wrong extension is a problem, not an exception."""
    (tmp_path / "dir.csv").mkdir()
    cases = {
        "missing.csv": "No such file",
        "dir.csv": "Is a directory",
        "notes.txt": "unsupported file type '.txt'",
        "noext": "unsupported file type '(no extension)'",
    }
    for name, message in cases.items():
        problem = only_error(tmp_path / name)
        assert message in problem.message, name


def test_sha256_is_of_the_file_bytes(tmp_path: Path) -> None:
    """The recorded hash is of exactly the file's bytes."""
    content = (HEADER + "cancel,,e1,,,\n").encode()
    validation = validate_manifest(write(tmp_path, "m.csv", content))
    assert validation.sha256 == hashlib.sha256(content).hexdigest()


def test_iter_entries_raises_manifest_error_on_a_problem(tmp_path: Path) -> None:
    """The runner's reader stops at a bad row with a ManifestError naming file and line."""
    path = write(tmp_path, "m.csv", HEADER + "cancel,,e1,,,\nbad,,e2,,,\n")
    entries = iter_entries(path)
    assert next(entries).operation == Cancel(event_id="e1")
    with pytest.raises(ManifestError, match=r"m\.csv:3: op: unknown op"):
        next(entries)


def test_failures_csv_reads_back_as_the_failed_operations(tmp_path: Path) -> None:
    """A `--failures-csv` file (input columns + error_code/error_message) is a valid manifest."""
    source = write(tmp_path, "m.csv", "x-ticket,op,event_id\nT-1,cancel,e1\n")
    [entry] = iter_entries(source)
    failed = tmp_path / "failed.csv"
    with FailuresCsvWriter(failed, validate_manifest(source).columns) as failures:
        failures.add(entry.fields, "Forbidden", "not the organizer, sorry")
    validation = validate_manifest(failed)
    assert validation.ok, validation.errors
    [again] = iter_entries(failed)
    assert again.operation == entry.operation
    assert again.labels == {"x-ticket": "T-1"}
    assert again.fields["error_code"] == "Forbidden"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes need POSIX")
def test_named_pipe_is_refused_without_blocking(tmp_path: Path) -> None:
    """A FIFO named like a manifest is a clear problem, not a hang waiting for a writer."""
    path = tmp_path / "m.csv"
    os.mkfifo(path)
    problem = only_error(path)
    assert (problem.line, problem.field) == (None, None)
    assert "not a regular file" in problem.message


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads any file")
def test_permission_denied_is_a_problem(tmp_path: Path) -> None:
    """A file the user may not read (chmod 000) is 'Permission denied', not a traceback."""
    path = write(tmp_path, "m.csv", "op,event_id\ncancel,e\n")
    path.chmod(0)
    try:
        assert "Permission denied" in only_error(path).message
    finally:
        path.chmod(0o600)


def test_symlinks_are_followed_and_dangling_ones_reported(tmp_path: Path) -> None:
    """A symlink to a manifest reads the target; a dangling one is 'No such file'."""
    target = write(tmp_path, "real.csv", "op,event_id\ncancel,e\n")
    (tmp_path / "link.csv").symlink_to(target)
    (tmp_path / "dangling.csv").symlink_to(tmp_path / "gone.csv")
    assert validate_manifest(tmp_path / "link.csv").ok
    assert "No such file" in only_error(tmp_path / "dangling.csv").message
