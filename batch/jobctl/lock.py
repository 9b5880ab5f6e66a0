"""One run of a job at a time: an exclusive operating-system lock on the job's lock file.

The lock is taken through portalocker (`flock` on POSIX, `msvcrt.locking` on Windows), which
the operating system drops when its holder dies, however it dies: a lock is never stuck, the
next run simply takes it. Who holds it (pid, host, start time, command) is written to a
`.holder` file beside the lock, since a Windows lock also bars others from reading the locked
file; holder info still present when a run takes the lock was left by a holder that died
without releasing it (kill -9, power loss), which the runner reports as a stale lock taken
over. With OS locking neither file is ever deleted (unlinking a locked file lets two processes
lock two different files under one name); neither is ever opened through a symlink.

Where a platform has no file locking at all (neither `fcntl` nor `msvcrt`), the holder file
alone is the lock (`batch.jobctl.holder_file`): created whole and exclusively, held while it
names a live process on this host, removed on release.
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
from typing import NoReturn

from batch.errors import LockHeldError, UsageError
from batch.files.private import describe, open_private
from batch.jobctl import holder_file

HOLDER_SUFFIX = ".holder"
_HOLDER_LIMIT = 4096


def holder_path_for(lock_path: Path) -> Path:
    """The file beside the lock that names its holder."""
    return lock_path.with_name(lock_path.name + HOLDER_SUFFIX)


@dataclass(frozen=True)
class Holder:
    """Who holds (or held) a lock, as written into the holder file."""

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
        """The holder recorded in a holder file, or None when it is empty or unreadable."""
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

    def is_alive(self) -> bool:
        """Whether this holder may still be running (True whenever that cannot be told)."""
        if self.host != socket.gethostname() or os.name != "posix":
            return True  # Windows' os.kill would terminate the process: never probe there.
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except OSError:
            return True
        return True


def _names_live_process(text: str) -> bool:
    holder = Holder.parse(text)
    return holder is not None and holder.is_alive()


def _os_lock(fd: int) -> bool | None:
    """Lock `fd` without waiting: True taken, False held elsewhere, None no locking here."""
    try:
        import portalocker  # noqa: PLC0415 - a platform without fcntl/msvcrt cannot import it.
    except ImportError:
        return None
    try:
        portalocker.lock(fd, portalocker.LockFlags.EXCLUSIVE | portalocker.LockFlags.NON_BLOCKING)
    except portalocker.AlreadyLocked:
        return False
    except portalocker.LockException as exc:
        raise OSError(exc.strerror or str(exc)) from exc
    return True


def _os_unlock(fd: int) -> None:
    try:
        import portalocker  # noqa: PLC0415
    except ImportError:
        return
    with contextlib.suppress(OSError, portalocker.LockException):  # closing drops it anyway
        portalocker.unlock(fd)


class JobLock:
    """`with JobLock(path) as lock:` holds the job's lock; raises LockHeldError when taken.

    After entering, `lock.stale` is the holder a dead process left behind (None when the lock
    was free and clean), so the runner can log "took over stale lock from pid N". `job` names
    the job in the refusal message (e.g. "the audit log a.jsonl").
    """

    def __init__(self, path: Path, command: str | None = None, job: str | None = None) -> None:
        self.path = path
        self.holder_path = holder_path_for(path)
        self._command = command
        self._job = job or f"the lock {path}"
        self._fd: int | None = None
        self._holder_fd: int | None = None
        self._claimed = False
        """Whether this lock holds the holder file itself (no OS locking here)."""
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
        """Take the lock without waiting, or raise LockHeldError naming its holder.

        UsageError when the lock or holder file cannot be opened or written (a symlink, a
        missing directory, a full disk).
        """
        if self._fd is not None:
            raise RuntimeError("JobLock is not reentrant")
        fd = self._open(self.path)
        try:
            taken = _os_lock(fd)
        except OSError as exc:
            os.close(fd)
            raise UsageError(f"cannot lock {self.path}: {describe(exc)}") from exc
        if taken is None:
            self._claim_holder_file(fd)
            return
        try:
            holder_fd = self._open(self.holder_path)
        except UsageError:
            os.close(fd)
            raise
        recorded = Holder.parse(_read_all(holder_fd))
        if not taken:
            for descriptor in (holder_fd, fd):
                os.close(descriptor)
            self._refuse(recorded)
        self._fd, self._holder_fd, self.stale = fd, holder_fd, recorded
        try:
            _overwrite(holder_fd, self._holder_text())
        except OSError as exc:
            self.release()
            raise UsageError(
                f"cannot write the lock file {self.holder_path}: {describe(exc)}"
            ) from exc

    def _claim_holder_file(self, fd: int) -> None:
        """No OS locking here: the holder file alone is the lock (see `holder_file`)."""
        try:
            claim = holder_file.claim(self.holder_path, self._holder_text(), _names_live_process)
        except OSError as exc:
            os.close(fd)
            raise UsageError(f"cannot open lock file {self.holder_path}: {describe(exc)}") from exc
        found = Holder.parse(claim.found) if claim.found is not None else None
        if not claim.taken:
            os.close(fd)
            self._refuse(found)
        self._fd, self._claimed, self.stale = fd, True, found

    def _holder_text(self) -> str:
        return json.dumps(asdict(Holder.current(self._command))) + "\n"

    def _refuse(self, holder: Holder | None) -> NoReturn:
        who = holder.describe() if holder else "a process that is still starting"
        raise LockHeldError(f"another run of {self._job} holds its lock ({self.path}): {who}")

    def release(self) -> None:
        """Clear the holder info and drop the lock; safe to call twice."""
        fd, holder_fd, claimed = self._fd, self._holder_fd, self._claimed
        self._fd, self._holder_fd, self._claimed = None, None, False
        if claimed:
            holder_file.remove(self.holder_path)
        if holder_fd is not None:
            # Clearing first means a later taker finds an empty file, i.e. a clean release.
            with contextlib.suppress(OSError):
                _overwrite(holder_fd, "")
            os.close(holder_fd)
        if fd is not None:
            _os_unlock(fd)
            os.close(fd)  # Closing the last descriptor drops the lock in any case.

    @staticmethod
    def _open(path: Path) -> int:
        try:
            return open_private(path, append=False).fd
        except OSError as exc:
            raise UsageError(f"cannot open lock file {path}: {describe(exc)}") from exc


def _read_all(fd: int) -> str:
    os.lseek(fd, 0, os.SEEK_SET)
    return os.read(fd, _HOLDER_LIMIT).decode("utf-8", errors="replace")


def _overwrite(fd: int, text: str) -> None:
    os.ftruncate(fd, 0)
    os.lseek(fd, 0, os.SEEK_SET)
    os.write(fd, text.encode())
    os.fsync(fd)
