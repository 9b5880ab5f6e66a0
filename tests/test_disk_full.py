"""Issue 10.8: a full disk is one line, never a traceback.

Before the first request (the audit log, the lock or a plan cannot be written): exit 2 and
nothing sent. Mid-run (a record cannot be written): the run stops taking rows and exits 1 with
the message. The disk is really full: /dev/full (every write fails with ENOSPC), a tiny tmpfs
(needs root for `mount`: skipped otherwise), and RLIMIT_FSIZE, which makes the kernel refuse a
write past N bytes (EFBIG) for any user.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog

from batch.exit_codes import ExitCode
from batch.rehearsal import sandbox_in_thread, write_yaml_job
from batch.sandbox import Sandbox, SandboxConfig, generate_world
from tests.file_helpers import FAST, call
from tests.process_helpers import REPO

WORLD, ROWS = generate_world(60, seed=2)
PAGE = 4096


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    """A 60-row world with limits far above what the tests send."""
    config = SandboxConfig.model_validate({"write_limit": FAST[1], "read_limit": FAST[3]})
    with sandbox_in_thread(WORLD, config) as served:
        yield served


@pytest.fixture
def work(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """A work directory with the 60-row job; the CLI talks to the sandbox."""
    monkeypatch.setenv("GRAPH_ACCESS_TOKEN", sandbox.token)
    monkeypatch.setenv("GRAPH_BATCH_BASE_URL", sandbox.base_url)
    monkeypatch.chdir(tmp_path)
    write_yaml_job(ROWS, tmp_path / "job.yaml")
    yield tmp_path
    structlog.reset_defaults()


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A 64 KiB tmpfs, filled to the last byte; skipped where `mount` is not permitted."""
    mount = shutil.which("mount")
    point = tmp_path / "disk"
    point.mkdir()
    if mount is None or os.name != "posix":
        pytest.skip("no mount command")
    done = subprocess.run(  # noqa: S603 - a fixed command line
        [mount, "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(point)],
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        filler = os.open(point / "filler", os.O_WRONLY | os.O_CREAT, 0o600)
        with contextlib.suppress(OSError):
            while True:
                os.write(filler, b"x" * PAGE)
        os.close(filler)
        yield point
    finally:
        subprocess.run(["umount", str(point)], check=False)  # noqa: S603, S607


def _free(disk: Path, pages: int) -> None:
    """Give back `pages` pages of the filled disk."""
    filler = disk / "filler"
    os.truncate(filler, filler.stat().st_size - pages * PAGE)


def _one_line(err: str, *needles: str) -> None:
    assert err.count("\n") == 1, err
    assert "Traceback" not in err
    for needle in needles:
        assert needle in err, err


RUN = ("run", "job.yaml", "--yes", "--quiet", *FAST)


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full")
def test_audit_log_on_a_full_device_sends_nothing(
    work: Path, sandbox: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    """/dev/full as the audit log: exit 2, one line naming the full disk, not one request."""
    requests = sandbox.stats().requests_total
    result = call([*RUN, "--audit-log", "/dev/full"], capsys)
    assert result.code == ExitCode.INVALID
    _one_line(result.err, "/dev/full", "No space left on device", "nothing was written or sent")
    assert sandbox.stats().requests_total == requests


@pytest.mark.parametrize(
    "files",
    [
        ("--audit-log", "DISK/a.jsonl"),
        ("--audit-log", "a.jsonl", "--lock-file", "DISK/job.lock"),
        ("--audit-log", "a.jsonl", "--failures-csv", "DISK/failed.csv"),
    ],
    ids=["audit-log", "lock-file", "failures-csv"],
)
def test_a_full_disk_before_the_first_request_sends_nothing(
    files: tuple[str, ...],
    work: Path,
    tiny_disk: Path,
    sandbox: Sandbox,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Audit log, lock or failures CSV on a full tmpfs: exit 2, one line, nothing sent."""
    requests = sandbox.stats().requests_total
    args = [arg.replace("DISK", str(tiny_disk)) for arg in files]
    result = call([*RUN, *args], capsys)
    assert result.code == ExitCode.INVALID, result.err
    _one_line(result.err, "No space left on device")
    assert sandbox.stats().requests_total == requests


def test_plan_and_report_on_a_full_disk_are_one_line(
    work: Path, tiny_disk: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """plan --out and report -o on a full tmpfs: exit 2, one line, no file left behind."""
    plan = call(["plan", "job.yaml", "--out", str(tiny_disk / "plan.json")], capsys)
    assert plan.code == ExitCode.INVALID
    _one_line(plan.err, "No space left on device")
    assert call([*RUN, "--audit-log", "a.jsonl"], capsys).code == ExitCode.OK
    report = call(["report", "a.jsonl", "--out", str(tiny_disk / "report.txt")], capsys)
    assert report.code == ExitCode.INVALID
    _one_line(report.err, "No space left on device")
    assert sorted(path.name for path in tiny_disk.iterdir()) == ["filler"]


def test_a_disk_filling_up_mid_run_stops_taking_rows(
    work: Path, tiny_disk: Path, sandbox: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    """Room for a few records only: exit 1 with the message, most rows never sent."""
    _free(tiny_disk, 2)
    requests = sandbox.stats().requests_total
    result = call([*RUN, "--concurrency", "1", "--audit-log", str(tiny_disk / "a.jsonl")], capsys)
    assert result.code == ExitCode.FAILED
    _one_line(result.err, "No space left on device", "the run stopped")
    sent = sandbox.stats().requests_total - requests
    assert 0 < sent < len(ROWS) // 2


@pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_FSIZE semantics checked on Linux")
def test_a_file_size_limit_mid_run_stops_taking_rows(work: Path, sandbox: Sandbox) -> None:
    """Without root: the kernel refuses writes past 8 KiB (EFBIG); exit 1, rows stop."""
    requests = sandbox.stats().requests_total

    def limit_file_size() -> None:
        import resource  # noqa: PLC0415 - POSIX only, and only in the child

        resource.setrlimit(resource.RLIMIT_FSIZE, (2 * PAGE, 2 * PAGE))

    done = subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, "-m", "batch", *RUN, "--concurrency", "1", "--audit-log", "a.jsonl"],
        capture_output=True,
        text=True,
        cwd=work,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        preexec_fn=limit_file_size,
        check=False,
        timeout=60,
    )
    assert done.returncode == ExitCode.FAILED, done.stderr
    _one_line(done.stderr, os.strerror(errno.EFBIG), "the run stopped")
    sent = sandbox.stats().requests_total - requests
    assert 0 < sent < len(ROWS) // 2
