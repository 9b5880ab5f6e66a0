"""`--shard K/N`: split one manifest across N parallel runs, each taking a stable share.

K is 1-based ("shard 2 of 4"), the way GitHub Actions matrices and people count; a Kubernetes
Indexed Job passes `--shard $((JOB_COMPLETION_INDEX + 1))/N`. A row belongs to shard K when a
blake2b hash of its operation key, taken modulo N, is K - 1: the same row lands in the same
shard on every machine and every run (Python's `hash()` is salted per process, so it cannot be
used), and a rerun or `--resume` of one shard touches only its own rows.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from batch.errors import UsageError

_SHARD = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


@dataclass(frozen=True)
class Shard:
    """Shard `index` (1-based) of `count`."""

    index: int
    count: int

    def __post_init__(self) -> None:
        if self.count < 1:
            raise UsageError(f"--shard: the number of shards must be at least 1 (got {self.count})")
        if not 1 <= self.index <= self.count:
            raise UsageError(
                f"--shard: K must be between 1 and {self.count} (got {self.index}); shards are "
                "numbered from 1, so a 0-based index such as JOB_COMPLETION_INDEX needs + 1"
            )

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def parse_shard(text: str) -> Shard:
    """Parse `K/N` (e.g. `2/4`); raises UsageError with a readable message."""
    match = _SHARD.match(text)
    if match is None:
        raise UsageError(f"--shard: expected K/N such as 2/4 (shard 2 of 4), got {text!r}")
    return Shard(index=int(match[1]), count=int(match[2]))


def shard_of(key: str, count: int) -> int:
    """The 1-based shard out of `count` that owns the operation `key`."""
    digest = hashlib.blake2b(key.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") % count + 1


def in_shard(key: str, shard: Shard | None) -> bool:
    """Whether this run (of `shard`, or of the whole manifest when None) owns `key`."""
    return shard is None or shard_of(key, shard.count) == shard.index
