"""Without OS file locking (the non-POSIX simulation), racing processes get exactly one holder."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from batch.jobctl.lock import holder_path_for
from tests.nonposix import nonposix_env, posix_signals

pytestmark = posix_signals

CONTENDERS = 6
ROUNDS = 4
CONTENDER = """
import os, sys, time
from pathlib import Path
from batch.errors import LockHeldError
from batch.jobctl.lock import JobLock
lock, go = Path(sys.argv[1]), Path(sys.argv[2])


def unhurried(call):
    def wrapper(*args, **kwargs):
        time.sleep(0.02)  # a busy machine: every contender gets to act between our steps
        return call(*args, **kwargs)
    return wrapper


for name in ("read", "write", "ftruncate", "link", "replace", "unlink"):
    setattr(os, name, unhurried(getattr(os, name)))
print("ready", flush=True)
while not go.exists():
    time.sleep(0.001)
try:
    taken = JobLock(lock, command="race")
    taken.acquire()
except LockHeldError:
    print("held", flush=True)
    raise SystemExit(0)
print("locked", taken.stale.pid if taken.stale else None, flush=True)
sys.stdin.read()
"""


def _race(tmp_path: Path, lock: Path) -> list[list[str]]:
    """Start CONTENDERS processes, release them at once; the first line each one printed.

    Each contender pauses before every file read and write, as on a loaded machine, so their
    steps interleave; a check-then-write lock then hands out several holders in most rounds.
    """
    env = {**os.environ, **nonposix_env(tmp_path / "sim")}
    go = lock.with_name(lock.name + ".go")
    processes = [
        subprocess.Popen(  # noqa: S603 - our own interpreter running our own snippet.
            [sys.executable, "-c", CONTENDER, str(lock), str(go)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        for _ in range(CONTENDERS)
    ]
    try:
        for process in processes:
            assert process.stdout is not None
            assert process.stdout.readline().strip() == "ready"
        go.touch()
        return [process.stdout.readline().split() for process in processes if process.stdout]
    finally:
        for process in processes:
            process.communicate("", timeout=30)


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", ""])
    process.wait()
    return process.pid


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_processes_starting_at_once_get_exactly_one_holder(tmp_path: Path, round_: int) -> None:
    """Six processes released together on one free lock: exactly one holds it, five are refused."""
    lines = _race(tmp_path, tmp_path / f"job{round_}.lock")
    assert sorted(line[0] for line in lines) == ["held"] * (CONTENDERS - 1) + ["locked"]
    assert [line for line in lines if line[0] == "locked"] == [["locked", "None"]]


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_processes_racing_for_a_dead_holders_lock_get_exactly_one_taker(
    tmp_path: Path, round_: int
) -> None:
    """A holder died (kill -9): of six processes released together, one takes over, naming it."""
    lock = tmp_path / f"job{round_}.lock"
    dead = _dead_pid()
    record = {"pid": dead, "host": socket.gethostname(), "started": time.ctime(), "command": "x"}
    holder_path_for(lock).write_text(json.dumps(record) + "\n")
    lines = _race(tmp_path, lock)
    assert sorted(line[0] for line in lines) == ["held"] * (CONTENDERS - 1) + ["locked"]
    assert [line for line in lines if line[0] == "locked"] == [["locked", str(dead)]]


def test_an_empty_holder_file_left_by_a_clean_release_is_free(tmp_path: Path) -> None:
    """An empty holder file (a run with OS locking released it): one racer takes it, no stale."""
    lock = tmp_path / "job.lock"
    holder_path_for(lock).write_text("")
    lines = _race(tmp_path, lock)
    assert sorted(line[0] for line in lines) == ["held"] * (CONTENDERS - 1) + ["locked"]
    assert [line for line in lines if line[0] == "locked"] == [["locked", "None"]]
