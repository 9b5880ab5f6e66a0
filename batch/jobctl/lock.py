"""One run of a job at a time: an exclusive `flock` on a lock file beside the audit log.

The kernel drops a `flock` when its holder dies, however it dies, so a lock is never stuck: the
next run simply takes it. The holder writes who it is (pid, host, start time, command) into the
file so a refused run can say whom it waited for; info still present when a run takes the lock
was left by a holder that died without releasing it (kill -9, power loss), which the runner
reports as a stale lock taken over. The file is never deleted: unlinking a flock'd file lets two
processes lock two different inodes under one name.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sys
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

from batch.errors import LockHeldError, UsageError

LOCK_SUFFIX = ".lock"


def lock_path_for(audit_log: Path, lock_file: Path | None = None) -> Path:
    """The lock of a job: `--lock-file` when given, else `<audit-log>.lock`."""
    if lock_file is not None:
        return lock_file
    return audit_log.with_name(audit_log.name + LOCK_SUFFIX)


@dataclass(frozen=True)
class Holder:
    """Who holds (or held) a lock, as written into the lock file."""

    pid: int
    host: str
    started: str
    command: str

    @classmethod
    def current(cls, command: str | None = None) -> Holder:
        """This process, started now."""
        return cls(
            pid=os.getpid(),
            host=socket.gethostname(),
            started=datetime.now(UTC).isoformat(timespec="seconds"),
            command=command if command is not None else " ".join(sys.argv),
        )

    @classmethod
    def parse(cls, text: str) -> Holder | None:
        """The holder recorded in a lock file, or None when it is empty or unreadable."""
        try:
            data = json.loads(text)
            return cls(
                pid=int(data["pid"]),
                host=str(data["host"]),
                started=str(data["started"]),
                command=str(data.get("command", "")),
            )
        except (ValueError, TypeError, KeyError):
            return None

    def describe(self) -> str:
        """`pid 123 on host web1 since 2026-01-01T00:00:00+00:00`."""
        return f"pid {self.pid} on host {self.host} since {self.started}"


class JobLock:
    """`with JobLock(path) as lock:` holds the job's lock; raises LockHeldError when taken.

    After entering, `lock.stale` is the holder a dead process left behind (None when the lock
    was free and clean), so the runner can log "took over stale lock from pid N".
    """

    def __init__(self, path: Path, command: str | None = None) -> None:
        self.path = path
        self._command = command
        self._fd: int | None = None
        self.stale: Holder | None = None

    def __enter__(self) -> JobLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()

    def acquire(self) -> None:
        """Take the lock without waiting, or raise LockHeldError naming its holder."""
        if self._fd is not None:
            raise RuntimeError("JobLock is not reentrant")
        import fcntl  # noqa: PLC0415 - POSIX only; importing the CLI must work everywhere.

        # O_NOFOLLOW: a planted symlink must not make us truncate some other file.
        flags = os.O_RDWR | os.O_CREAT
        flags |= getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOFOLLOW", 0)
        try:
            fd = os.open(self.path, flags, 0o600)
        except OSError as exc:
            raise UsageError(f"cannot open lock file {self.path}: {exc.strerror}") from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            holder = Holder.parse(_read_all(fd))
            os.close(fd)
            who = holder.describe() if holder else "a process that is still starting"
            raise LockHeldError(
                f"another run of this job holds the lock {self.path}: {who}"
            ) from exc
        except OSError as exc:
            os.close(fd)
            raise UsageError(f"cannot lock {self.path}: {exc.strerror}") from exc
        self._fd = fd
        self.stale = Holder.parse(_read_all(fd))
        _overwrite(fd, json.dumps(asdict(Holder.current(self._command))) + "\n")

    def release(self) -> None:
        """Clear the holder info and drop the lock; safe to call twice."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        # Clearing first means a later taker finds an empty file, i.e. a clean release.
        with contextlib.suppress(OSError):
            _overwrite(fd, "")
        os.close(fd)  # Closing the last descriptor drops the flock.


def _read_all(fd: int) -> str:
    os.lseek(fd, 0, os.SEEK_SET)
    chunks = []
    while chunk := os.read(fd, 65536):
        chunks.append(chunk)
    return b"".join(chunks).decode("utf-8", errors="replace")


def _overwrite(fd: int, text: str) -> None:
    os.ftruncate(fd, 0)
    os.lseek(fd, 0, os.SEEK_SET)
    os.write(fd, text.encode())
    os.fsync(fd)
