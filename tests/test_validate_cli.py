"""`graph-batch validate`: every problem listed, a summary per file, exit codes 0 and 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from batch.cli import build_parser, main
from tests.manifest_files import HEADER, write

BAD_INPUTS: dict[str, bytes] = {
    "empty.csv": b"",
    "header-only.csv": HEADER.encode(),
    "short-row.csv": HEADER.encode() + b"cancel,e1\n",
    "latin1.csv": HEADER.encode() + "cancel,,caf\xe9,,,\n".encode("latin-1"),
    "binary.csv": bytes(range(256)) * 4,
    "huge.csv": HEADER.encode() + b"cancel,,e," + b"x" * 200_000 + b",,\n",
    "syntax.yaml": b"version: 1\noperations: [\n",
    "bomb.yaml": b"version: 1\na: &a [x, x]\nb: [*a, *a]\noperations: []\n",
    "types.yaml": b"version: 1\noperations:\n  - {op: cancel, event_id: 42}\n",
    "notes.txt": b"cancel e1\n",
}


def _subcommands() -> list[str]:
    parser = build_parser()
    # argparse keeps subparsers in a private action; this is the documented way to list them.
    actions = [a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction"]
    return sorted(actions[0].choices)  # type: ignore[arg-type]


def test_valid_manifest_exits_0_with_a_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A valid file prints only its summary and exits 0."""
    path = write(tmp_path, "m.csv", HEADER + "cancel,,e1,,,\nget-session,,e1,,,s\n")
    assert main(["validate", str(path)]) == 0
    out = capsys.readouterr().out
    assert out == f"{path}: valid, 2 operations (cancel 1, get-session 1)\n"


def test_warnings_are_listed_and_still_exit_0(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Duplicates are listed as warnings but do not fail validation."""
    path = write(tmp_path, "m.csv", HEADER + "cancel,,e1,,,\ncancel,,e1,,,\n")
    assert main(["validate", str(path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"{path}:3: warning: duplicate of line 2"
    assert lines[1].endswith("valid, 2 operations (cancel 2), 1 warning")


def test_every_problem_of_every_file_is_listed_and_exit_is_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """All problems of all files are printed, each FILE:LINE: field: message; exit 2."""
    good = write(tmp_path, "good.csv", HEADER + "cancel,,e1,,,\n")
    bad = write(tmp_path, "bad.csv", HEADER + "cancle,,e1,,,\ncancel,webinars,e2,,,\n")
    assert main(["validate", str(bad), str(good)]) == 2
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(f"{bad}:2: op: unknown op 'cancle'")
    assert lines[1].startswith(f"{bad}:3: event_type: must be webinar or townhall")
    assert lines[2] == f"{bad}: INVALID (2 errors), 2 operations"
    assert lines[3] == f"{good}: valid, 1 operation (cancel 1)"


def test_listing_stops_after_100_problems(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Past 100 problems the listing ends with '... and N more problems'."""
    path = write(tmp_path, "m.csv", HEADER + "bad,,e,,,\n" * 130 + "cancel,,e,,,\n" * 5)
    assert main(["validate", str(path)]) == 2
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 102
    assert lines[100] == "... and 34 more problems"


def test_json_output_for_ci(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--format json prints one document with per-file problems, counts and ok."""
    path = write(tmp_path, "m.csv", HEADER + "cancel,,e1,,,\nget-session,,e1,,,\n")
    assert main(["validate", "--format", "json", str(path)]) == 2
    document = json.loads(capsys.readouterr().out)
    assert document["ok"] is False
    [report] = document["files"]
    assert report["counts_by_op"] == {"cancel": 1}
    assert report["operation_count"] == 2
    assert report["problems"] == [
        {
            "line": 3,
            "field": "session_id",
            "message": "required for op 'get-session'",
            "severity": "error",
        }
    ]


@pytest.mark.parametrize(("name", "content"), BAD_INPUTS.items(), ids=list(BAD_INPUTS))
def test_bad_input_exits_2_without_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, content: bytes
) -> None:
    """Every kind of bad input is a FILE[:LINE]: message on stdout and exit 2, never a traceback."""
    path = write(tmp_path, name, content)
    assert main(["validate", str(path)]) == 2
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    assert captured.out.startswith(f"{path}")
    assert len(captured.out) < 2_000


def test_console_script_prints_no_traceback(tmp_path: Path) -> None:
    """The real process, run on all bad inputs at once, exits 2 with nothing on stderr."""
    paths = [str(write(tmp_path, name, content)) for name, content in BAD_INPUTS.items()]
    paths.append(str(tmp_path / "missing.csv"))
    paths.append(str(tmp_path))
    done = subprocess.run(  # noqa: S603 - our own interpreter and module, fixed arguments.
        [sys.executable, "-m", "batch", "validate", *paths],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr == ""
    assert done.stdout.count("INVALID") == len(paths)


@pytest.mark.parametrize("command", _subcommands())
def test_every_command_has_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Each registered subcommand answers --help with a usage text and exit 0."""
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    assert f"usage: graph-batch {command}" in capsys.readouterr().out


def test_top_level_help_lists_validate(capsys: pytest.CaptureFixture[str]) -> None:
    """`graph-batch --help` works and names the validate command."""
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    assert "validate" in capsys.readouterr().out
