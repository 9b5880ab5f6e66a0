"""Issue 10 follow-up: an audit log is read in bounded lines, and a file that is not an audit
log (notes, a CSV, a binary) is never appended to, resumed from, or re-moded.

Memory is measured in a wrapper process (its children's peak RSS), so the pytest process and
earlier tests never count; sparse files make the gigabyte-sized inputs free to create.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from batch.audit.reader import MAX_RECORD_BYTES
from batch.exit_codes import ExitCode
from batch.sandbox import Sandbox
from tests.file_helpers import (
    FAST,
    call,
    cli_talking_to,
    mode_of,
    posix_modes,
    threaded_sandbox,
    write_job,
)
from tests.process_helpers import REPO

GIB = 1 << 30
PEAK_LIMIT_KB = 200_000
"""Peak RSS a bounded reader stays far below (a whole-line read of 1 GiB needs over 1 GB)."""

MEASURE = """
import resource, subprocess, sys
args = [sys.executable, "-m", "batch", *sys.argv[1:]]
done = subprocess.run(args, capture_output=True, text=True)
print(done.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
sys.stderr.write(done.stderr)
"""


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    """One sandbox for the module; each test counts the requests its own calls sent."""
    with threaded_sandbox() as served:
        yield served


@pytest.fixture
def work(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """A work directory the CLI runs in, talking to the sandbox with its token."""
    with cli_talking_to(sandbox, monkeypatch):
        monkeypatch.chdir(tmp_path)
        yield tmp_path


def _measured(*args: str) -> tuple[int, int, str]:
    """`graph-batch ARGS` in a child process: (exit code, peak RSS in KiB, stderr)."""
    done = subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, "-c", MEASURE, *args],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        check=False,
        timeout=120,
    )
    code, peak = done.stdout.split()
    return int(code), int(peak), done.stderr


def _sparse(path: Path, head: bytes, hole: int, tail: bytes = b"") -> Path:
    """`head`, then `hole` NUL bytes that take no disk space, then `tail`."""
    with path.open("wb") as stream:
        stream.write(head)
        stream.seek(hole, os.SEEK_CUR)
        stream.write(tail)
    if not tail:
        os.truncate(path, len(head) + hole)
    return path


def _real_log(work: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """The audit log of one real run of the 6-row job."""
    log = work / "job.jsonl"
    args = ["run", str(write_job(work / "job.yaml")), "--yes", "--quiet", *FAST]
    assert call([*args, "--audit-log", str(log)], capsys).code == ExitCode.OK
    return log


@pytest.mark.parametrize("command", ["report", "resume"])
@pytest.mark.parametrize("head", [b"", b"\xff\xfe", b"PK\x03\x04"], ids=["nul-only", "bom", "zip"])
def test_a_binary_file_is_refused_in_flat_memory(
    command: str, head: bytes, work: Path, sandbox: Sandbox
) -> None:
    """A 1 GiB binary file as report's or --resume's log: exit 2 at once, nothing appended."""
    big = _sparse(work / "big.jsonl", head, GIB)
    job = write_job(work / "job.yaml")
    requests = sandbox.stats().requests_total
    args = (
        ["report", str(big)]
        if command == "report"
        else ["run", str(job), "--yes", "--resume", "--audit-log", str(big), *FAST]
    )
    code, peak, err = _measured(*args)
    assert code == ExitCode.INVALID, err
    assert "not a graph-batch audit log" in err
    assert "Traceback" not in err
    assert peak < PEAK_LIMIT_KB
    assert big.stat().st_size == len(head) + GIB
    assert sandbox.stats().requests_total == requests


@pytest.mark.parametrize("filler", [b"\0", b"x"], ids=["nul-hole", "text"])
def test_an_over_long_line_is_a_corrupt_line_never_read_whole(
    filler: bytes, work: Path, sandbox: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    """A line past MAX_RECORD_BYTES mid-log: report and --resume warn and go on, memory flat."""
    lines = _real_log(work, capsys).read_bytes().splitlines(keepends=True)
    big = work / "big.jsonl"
    head, tail = (
        b"".join(lines[:3]) + b'{"event":"op.finished","x":"',
        b'"}\n' + b"".join(lines[3:]),
    )
    if filler == b"\0":
        _sparse(big, head, 256 << 20, tail)
    else:
        big.write_bytes(head + filler * (3 * MAX_RECORD_BYTES) + tail)
    code, peak, err = _measured("report", str(big))
    assert code == ExitCode.OK, err
    assert "skipped 1 unreadable line(s)" in err
    assert ": 4\n" in err
    assert "cut off" not in err
    assert peak < PEAK_LIMIT_KB
    posts = sandbox.stats().by_method.get("POST", 0)
    job = str(work / "job.yaml")
    code, peak, err = _measured("run", job, "--yes", "--resume", "--audit-log", str(big), *FAST)
    assert code == ExitCode.OK, err
    assert "--resume skipped 1 unreadable line(s)" in err
    assert "(line 4;" in err
    assert peak < PEAK_LIMIT_KB
    assert sandbox.stats().by_method.get("POST", 0) == posts


NOT_LOGS = {
    "notes": b"notes\n",
    "csv": b"op,event_id\ncancel,ev1\n",
    "json-no-event": b'{"a": 1}\n',
    "json-list": b"[1, 2]\n",
    "one-line-no-newline": b"my notes",
    "blank-first-line": b'\n{"event":"run.started"}\n',
    "binary": b"\x89PNG\r\n\x1a\n\x00\x00",
}


@posix_modes
@pytest.mark.parametrize("resume", [False, True], ids=["run", "resume"])
@pytest.mark.parametrize("content", NOT_LOGS.values(), ids=list(NOT_LOGS))
def test_an_existing_file_that_is_not_an_audit_log_is_refused(
    content: bytes,
    resume: bool,
    work: Path,
    sandbox: Sandbox,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """--audit-log of notes, a CSV, JSON or binary: exit 2, nothing sent, file and mode kept."""
    job = write_job(work / "job.yaml")
    notes = work / "notes.txt"
    notes.write_bytes(content)
    notes.chmod(0o644)
    requests = sandbox.stats().requests_total
    extra = ["--resume"] if resume else []
    args = ["run", str(job), "--yes", "--quiet", *FAST, "--audit-log", str(notes), *extra]
    result = call(args, capsys)
    assert result.code == ExitCode.INVALID, result.err
    assert "is not a graph-batch audit log" in result.err
    assert result.err.count("\n") == 1
    assert notes.read_bytes() == content
    assert mode_of(notes) == 0o644
    assert sandbox.stats().requests_total == requests


@pytest.mark.parametrize("existing", [None, b"", b'{"event":"run.started"}\n'], ids=str)
def test_a_new_empty_or_real_audit_log_is_accepted(
    existing: bytes | None, work: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A missing, empty or genuine audit log still runs (and resumes) as before."""
    job = write_job(work / "job.yaml")
    log = work / "a.jsonl"
    if existing is not None:
        log.write_bytes(existing)
    args = ["run", str(job), "--yes", "--quiet", *FAST, "--audit-log", str(log), "--resume"]
    assert call(args, capsys).code == ExitCode.OK
