"""Create and open the files graph-batch writes: owner-only, never through a symlink.

Every writer goes through here, so the rules hold for every output: a new file is created 0600
(audit records, registration emails and error messages are personal data); an existing one
whose mode lets others in is tightened to 0600 where the platform has POSIX modes (only a
regular file: never a device such as /dev/stdout); a symlink at the final name is refused, so a
planted link cannot redirect a write. `O_NOFOLLOW`, `O_CLOEXEC` and `O_BINARY` are used where
the platform has them; everywhere the name is also checked before and after opening (lstat and
fstat must agree), which catches a symlink even where `O_NOFOLLOW` does not exist. On Windows
there are no POSIX modes: the files take the ACL of their folder (the user's profile by
default), which is what protects them there. A file written by temp-file-and-rename must not
replace a symlink, device, FIFO, socket or folder (`check_replaceable`).
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

PRIVATE_MODE = 0o600
_NOFOLLOW: int = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC: int = getattr(os, "O_CLOEXEC", 0)
_BINARY: int = getattr(os, "O_BINARY", 0)  # Windows: no newline translation under our writes.
_HAS_MODES = os.name == "posix"


class SymlinkRefusedError(OSError):
    """The path to write is a symbolic link (refused: it could point anywhere)."""

    def __init__(self, path: Path) -> None:
        super().__init__(errno.ELOOP, "it is a symbolic link; give the real file's path", str(path))


class NotRegularFileError(OSError):
    """The path to replace is a device, FIFO, socket or folder (refused: renaming over it would
    destroy it, e.g. turn /dev/full into a JSON file)."""

    def __init__(self, path: Path) -> None:
        super().__init__(
            errno.EEXIST,
            "it exists and is not a regular file (a device, pipe, socket or folder): refusing "
            "to replace it; give a file's path",
            str(path),
        )


@dataclass(frozen=True)
class OpenedFile:
    """A descriptor opened by `open_private`, and the loose mode it had, if it was tightened."""

    fd: int
    tightened_from: int | None
    """The permission bits the existing file had before they were tightened to 0600."""


def describe(error: OSError) -> str:
    """`error` as the end of a one-line message; a full disk says so plainly."""
    text = error.strerror or str(error)
    if error.errno in {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}:
        return f"{text} (the disk or quota is full)"
    return text


def _lstat(path: Path) -> os.stat_result | None:
    try:
        return os.lstat(path)
    except FileNotFoundError:
        return None


def open_private(path: Path, *, append: bool) -> OpenedFile:
    """Open `path` for writing (append-only, or read-write), creating it 0600.

    Raises SymlinkRefusedError for a symlink at `path`, OSError for anything else.
    """
    before = _lstat(path)
    if before is not None and stat.S_ISLNK(before.st_mode):
        raise SymlinkRefusedError(path)
    access = (os.O_WRONLY | os.O_APPEND) if append else os.O_RDWR
    flags = access | os.O_CREAT | _NOFOLLOW | _CLOEXEC | _BINARY
    try:
        fd = os.open(path, flags, PRIVATE_MODE)
    except OSError as exc:
        now = _lstat(path)
        if now is not None and stat.S_ISLNK(now.st_mode):
            raise SymlinkRefusedError(path) from exc
        raise
    try:
        opened = os.fstat(fd)
        after = os.lstat(path)
        swapped = before is not None and (before.st_dev, before.st_ino) != _same(opened)
        if stat.S_ISLNK(after.st_mode) or (after.st_dev, after.st_ino) != _same(opened) or swapped:
            raise SymlinkRefusedError(path)  # The name changed under us: trust nothing.
        return OpenedFile(fd, _tighten(fd, opened))
    except BaseException:
        os.close(fd)
        raise


def _same(found: os.stat_result) -> tuple[int, int]:
    return found.st_dev, found.st_ino


def _tighten(fd: int, found: os.stat_result) -> int | None:
    loose = stat.S_IMODE(found.st_mode)
    if not _HAS_MODES or not stat.S_ISREG(found.st_mode) or not loose & 0o077:
        return None
    os.fchmod(fd, PRIVATE_MODE)
    return loose


def check_replaceable(target: Path) -> None:
    """Refuse `target` unless it is absent or a regular file: it is about to be renamed over.

    Every temp-file-and-rename writer calls this (through `private_temp`, and up-front before
    anything is sent). Raises SymlinkRefusedError or NotRegularFileError; OSError when `target`
    cannot be examined.
    """
    found = _lstat(target)
    if found is None:
        return
    if stat.S_ISLNK(found.st_mode):
        raise SymlinkRefusedError(target)
    if not stat.S_ISREG(found.st_mode):
        raise NotRegularFileError(target)


def private_temp(target: Path) -> tuple[int, Path]:
    """A new 0600 temporary file beside `target` (same file system, so it can be renamed in).

    Raises SymlinkRefusedError or NotRegularFileError (`check_replaceable`), OSError.
    """
    check_replaceable(target)
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    return fd, Path(name)


def written_temp(path: Path, text: str) -> Path:
    """A 0600 temporary file beside `path` holding `text`, on disk (fsynced), for the caller
    to move into place. Raises OSError as `private_temp` does; nothing is left behind."""
    fd, temp = private_temp(path)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise
    return temp


def write_private(path: Path, text: str) -> None:
    """Replace `path` with `text` atomically: a 0600 temporary file renamed into place.

    A symlink or non-regular file at `path` is refused (`check_replaceable`), never replaced or
    followed. Raises OSError; nothing is left behind.
    """
    temp = written_temp(path, text)
    try:
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise
