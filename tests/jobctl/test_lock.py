"""The job lock keeps two real processes from overlapping and survives a kill -9."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from batch.errors import LockHeldError, UsageError
from batch.exit_codes import ExitCode
from batch.jobctl.lock import Holder, JobLock, holder_path_for

HOLD_SNIPPET = """
import sys
from pathlib import Path
from batch.jobctl.lock import JobLock
with JobLock(Path(sys.argv[1]), command="holder-test"):
    print("locked", flush=True)
    sys.stdin.read()
"""


@pytest.fixture
def holder(tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    """A separate process that holds the lock on tmp_path/job.lock until its stdin closes."""
    proc = subprocess.Popen(  # noqa: S603 - our own interpreter running our own snippet.
        [sys.executable, "-c", HOLD_SNIPPET, str(tmp_path / "job.lock")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "locked"
    yield proc
    if proc.poll() is None:
        proc.kill()
    proc.wait()
    for stream in (proc.stdin, proc.stdout):
        if stream is not None:
            stream.close()


def test_second_process_is_refused_with_holder_details(
    tmp_path: Path, holder: subprocess.Popen[str]
) -> None:
    """While another process holds the lock, taking it fails at once naming pid and host."""
    with pytest.raises(LockHeldError) as info, JobLock(tmp_path / "job.lock"):
        pass
    assert info.value.exit_code == ExitCode.LOCKED
    assert f"pid {holder.pid} on host " in info.value.message
    assert " since " in info.value.message


def test_lock_of_killed_holder_is_taken_over_and_reported_stale(
    tmp_path: Path, holder: subprocess.Popen[str]
) -> None:
    """After kill -9 of the holder the lock is free and its leftover info is reported stale."""
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait()
    with JobLock(tmp_path / "job.lock") as lock:
        assert lock.stale is not None
        assert lock.stale.pid == holder.pid
        assert lock.stale.command == "holder-test"


def test_cleanly_released_lock_is_not_stale(tmp_path: Path, holder: subprocess.Popen[str]) -> None:
    """A holder that exits normally leaves an empty file: the next taker sees no stale info."""
    assert holder.stdin is not None
    holder.stdin.close()
    assert holder.wait() == 0
    with JobLock(tmp_path / "job.lock") as lock:
        assert lock.stale is None


def test_holder_info_is_written_private(tmp_path: Path) -> None:
    """While held, the holder file (0600, as the lock) names this process; then it is empty."""
    path = tmp_path / "job.lock"
    with JobLock(path, command="graph-batch run x.csv"):
        holder = Holder.parse(holder_path_for(path).read_text())
        assert holder is not None
        assert (holder.pid, holder.command) == (os.getpid(), "graph-batch run x.csv")
        for made in (path, holder_path_for(path)):
            assert made.stat().st_mode & 0o777 == 0o600
    assert holder_path_for(path).read_text() == ""


def test_same_process_cannot_take_the_lock_twice(tmp_path: Path) -> None:
    """Two JobLocks on one file in one process also exclude each other."""
    path = tmp_path / "job.lock"
    with JobLock(path), pytest.raises(LockHeldError, match=f"pid {os.getpid()}"):
        JobLock(path).acquire()


@pytest.mark.parametrize("make_bad", ["missing_dir", "symlink"])
def test_unusable_lock_path_is_a_usage_error(tmp_path: Path, make_bad: str) -> None:
    """A lock path in a missing directory, or a planted symlink, fails with a clear message."""
    if make_bad == "missing_dir":
        path = tmp_path / "nope" / "job.lock"
    else:
        victim = tmp_path / "victim"
        victim.write_text("keep me")
        path = tmp_path / "job.lock"
        path.symlink_to(victim)
    with pytest.raises(UsageError, match="cannot open lock file"):
        JobLock(path).acquire()
    if make_bad == "symlink":
        assert (tmp_path / "victim").read_text() == "keep me"


@pytest.mark.parametrize(
    ("text", "expected_pid"),
    [
        ('{"pid": 7, "host": "h", "started": "t", "command": "c"}', 7),
        ('{"pid": 7, "host": "h", "started": "t"}', 7),
        ("", None),
        ("{not json", None),
        ("[1, 2]", None),
        ('{"pid": "x", "host": "h", "started": "t"}', None),
    ],
)
def test_holder_parse_tolerates_garbage(text: str, expected_pid: int | None) -> None:
    """Only complete holder info parses; anything else is treated as no info."""
    holder = Holder.parse(text)
    assert (holder.pid if holder else None) == expected_pid


NO_LOCKING = """
import os, sys
for name in ("fcntl", "msvcrt"):
    sys.modules[name] = None  # a platform with no file locking at all
for flag in ("O_NOFOLLOW", "O_CLOEXEC"):
    if hasattr(os, flag):
        delattr(os, flag)
from pathlib import Path
from batch.errors import LockHeldError
from batch.jobctl.lock import JobLock
lock = JobLock(Path(sys.argv[1]), command="no-locking")
try:
    lock.acquire()
except LockHeldError as exc:
    print("held", exc.message, flush=True)
    raise SystemExit(0)
print("locked", lock.stale.pid if lock.stale else None, flush=True)
sys.stdin.read()
"""


def _no_locking(path: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(  # noqa: S603 - our own interpreter running our own snippet.
        [sys.executable, "-c", NO_LOCKING, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


@pytest.mark.skipif(sys.platform == "win32", reason="kill -9 and a POSIX Python without fcntl")
def test_without_os_file_locking_the_holder_file_is_the_lock(tmp_path: Path) -> None:
    """No fcntl/msvcrt: a live holder still refuses others; a kill -9'd one is taken over."""
    path = tmp_path / "job.lock"
    holder = _no_locking(path)
    assert holder.stdout is not None
    assert holder.stdout.readline().split() == ["locked", "None"]
    contender = _no_locking(path)
    try:
        out, _ = contender.communicate(timeout=30)
        assert out.startswith("held ")
        assert f"pid {holder.pid} " in out
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait()
        successor = _no_locking(path)
        assert successor.stdout is not None
        assert successor.stdout.readline().split() == ["locked", str(holder.pid)]
        successor.communicate("", timeout=30)
    finally:
        for process in (holder, contender):
            if process.poll() is None:
                process.kill()
            process.communicate()
