"""Refuse a command whose outputs would overwrite its own inputs or each other, or replace
something that is not a regular file.

Every command that writes files names every file it reads and writes to `check_distinct`
before it writes or sends anything; a new output only has to be added to its command's call.
Files are compared by identity (`batch.files.identity`), so `./x`, `sub/../x`, a symlink and a
hard link to `x` all collide with `x`.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from batch.errors import UsageError
from batch.files.identity import FileIdentity, identity_of
from batch.files.private import check_replaceable, describe


@dataclass(frozen=True)
class FileUse:
    """One file a command touches: the flag or argument that names it, and whether it writes."""

    role: str
    """How the user named it: `--audit-log`, `MANIFEST`, `--out`..."""
    path: Path
    writes: bool


def _identity(path: Path) -> FileIdentity | None:
    try:
        return identity_of(path)
    except OSError:
        return None  # Unreachable: opening it later reports the real problem.


def find_collision(uses: Iterable[FileUse]) -> tuple[FileUse, FileUse] | None:
    """The first pair of uses that name one file where at least one writes, else None."""
    known = [(use, _identity(use.path)) for use in uses]
    for (first, one), (second, other) in itertools.combinations(known, 2):
        if one is not None and one == other and (first.writes or second.writes):
            return (second, first) if second.writes else (first, second)
    return None


def check_distinct(
    *,
    reads: Mapping[str, Path | None],
    writes: Mapping[str, Path | None],
    consequence: str,
) -> None:
    """Raise UsageError (exit 2) when a written file is also another file of the command.

    `reads` and `writes` map how the user named each file (`MANIFEST`, `--out`) to its path;
    None is a file not in use. `consequence` ends the message: what did not happen (e.g.
    "nothing was written or sent").
    """
    uses = [FileUse(role, path, writes=False) for role, path in reads.items() if path]
    uses += [FileUse(role, path, writes=True) for role, path in writes.items() if path]
    collision = find_collision(uses)
    if collision is None:
        return
    written, other = collision
    raise UsageError(
        f"{written.role} {written.path} is the same file as {other.role} {other.path}, which "
        f"writing it would destroy; give each its own path; {consequence}"
    )


def check_replaceable_outputs(replaces: Mapping[str, Path | None], *, consequence: str) -> None:
    """Raise UsageError (exit 2) when a file the command will rename into place exists and is a
    symlink, device, FIFO, socket or folder (`batch.files.private.check_replaceable`).

    Called up-front, before anything is read from the network or written; the writers check
    again when they open their temporary file. `replaces` maps flag to path (None: not in use).
    """
    for role, path in replaces.items():
        if path is None:
            continue
        try:
            check_replaceable(path)
        except OSError as exc:
            raise UsageError(f"{role} {path}: {describe(exc)}; {consequence}") from exc
