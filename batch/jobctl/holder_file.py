"""A lock made of one file, for platforms with no file locking: atomic with create-if-absent.

The holder file is created whole (written to a private temporary file, then hard-linked to its
name, which fails if the name exists), so two processes starting at once cannot both create it
and nobody reads half of one. Taking over a file whose holder died is itself guarded by a
second such file (`<name>.takeover`, recursively): only the guard's holder may replace the
dead holder's file, and only after re-reading it unchanged, so two processes that both saw it
dead cannot both take over. Holder texts name a pid and a start time, so a text once replaced
never comes back. A symlink at either name is refused, never followed or replaced.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from batch.files.private import SymlinkRefusedError, written_temp

TAKEOVER_SUFFIX = ".takeover"
_ATTEMPTS = 8
"""Rounds of create/inspect before giving up: each round ends because another process acted."""
_MAX_DEPTH = 3
"""Guards of guards: a deeper one is only needed when takers keep dying mid-takeover."""
_TEXT_LIMIT = 4096


@dataclass(frozen=True)
class Claim:
    """The outcome of `claim`: `found` is the text of the holder file seen (None when none)."""

    taken: bool
    found: str | None


def claim(path: Path, text: str, alive: Callable[[str], bool], depth: int = 0) -> Claim:
    """Make `path` hold `text` unless it holds a text that `alive` says is a live holder.

    Taken: `found` is the dead holder's text replaced (None when the file was absent).
    Refused: `found` is the live holder's text (or a live takeover guard's; None when the file
    keeps changing under us). Raises SymlinkRefusedError or OSError when a file cannot be
    examined or written.
    """
    for _ in range(_ATTEMPTS):
        if _install(path, text, replace=False):
            return Claim(taken=True, found=None)
        found = _read(path)
        if found is None:
            continue  # Released between our attempt and our look: try again.
        if alive(found):
            return Claim(taken=False, found=found)
        if depth >= _MAX_DEPTH:
            return Claim(taken=False, found=None)
        guard = path.with_name(path.name + TAKEOVER_SUFFIX)
        guarded = claim(guard, text, alive, depth + 1)
        if not guarded.taken:
            return Claim(taken=False, found=guarded.found)  # Another process is taking over.
        try:
            if _read(path) == found:
                _install(path, text, replace=True)
                return Claim(taken=True, found=found)
        finally:
            remove(guard)
    return Claim(taken=False, found=None)


def remove(path: Path) -> None:
    """Delete a holder file this process holds (a release); already gone is fine."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


def _install(path: Path, text: str, *, replace: bool) -> bool:
    """Put `text` at `path` in one step; without `replace`, False when `path` exists."""
    temp = written_temp(path, text)
    try:
        if replace:
            os.replace(temp, path)
            return True
        try:
            os.link(temp, path)
        except FileExistsError:
            return False
        return True
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)


def _read(path: Path) -> str | None:
    """The text at `path`, or None when it is absent; a symlink is refused."""
    try:
        found = os.lstat(path)
    except FileNotFoundError:
        return None
    if stat.S_ISLNK(found.st_mode):
        raise SymlinkRefusedError(path)
    try:
        with path.open("rb") as stream:
            return stream.read(_TEXT_LIMIT).decode("utf-8", errors="replace")
    except FileNotFoundError:
        return None
