"""Which file a path names, by identity rather than spelling.

`./a.jsonl`, `sub/../a.jsonl`, a symlink to it and a hard link to it are one file: an existing
file is known by its device and inode (what `os.stat` follows to), a file not yet created by
its resolved parent directory's identity and its name (case-folded on Windows and macOS, whose
usual file systems ignore case). On Windows `os.stat` fills `st_ino` with the file index, so
the same comparison holds there.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class FileIdentity:
    """One file: `(device, inode)` when it exists, else `(parent device, parent inode, name)`."""

    device: int
    inode: int
    name: str | None = None
    """The entry name in the parent directory; None for a file that exists."""

    def key(self) -> str:
        """A stable text form, e.g. for naming a lock after the file."""
        return f"{self.device}:{self.inode}" + ("" if self.name is None else f"/{self.name}")


def identity_of(path: Path) -> FileIdentity | None:
    """The identity of `path` (symlinks followed); None when even its directory is missing.

    Raises OSError for anything but a missing file (e.g. a directory that cannot be searched).
    """
    try:
        found = os.stat(path)
    except FileNotFoundError:
        pass
    else:
        return FileIdentity(found.st_dev, found.st_ino)
    # A dangling symlink creates its target when written: name the target, not the link.
    resolved = path.resolve()
    try:
        parent = os.stat(resolved.parent)
    except FileNotFoundError:
        return None
    return FileIdentity(parent.st_dev, parent.st_ino, _fold(resolved.name))


def _fold(name: str) -> str:
    # Windows' and macOS's usual file systems ignore case: `A.csv` and `a.csv` are one new file.
    return name.casefold() if sys.platform in {"win32", "darwin"} else name


def fd_identity(fd: int) -> FileIdentity:
    """The identity of an open file: what a lock is keyed on, with no race against renames."""
    found = os.fstat(fd)
    return FileIdentity(found.st_dev, found.st_ino)
