"""Find operations that repeat an earlier one, in about 16 bytes per row.

A set of every key would cost hundreds of bytes per row on a million-row manifest. Instead each
row leaves an 8-byte BLAKE2b fingerprint of its key plus its index and line in typed arrays,
spread over buckets by the fingerprint's first byte; after the pass each bucket is sorted on its
own, so the sort's temporary lists stay a small fraction of the manifest. Two different keys share
a 64-bit fingerprint with odds around 1e-8 for a million rows, and the cost of that is only a
spurious warning.
"""

from __future__ import annotations

import hashlib
from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import groupby

_BUCKETS = 256


@dataclass(frozen=True)
class Repeat:
    """Row `index` (at `line`) repeats the earlier row at `first_line`."""

    index: int
    line: int
    first_line: int


class DuplicateFinder:
    """Collects fingerprints during the pass; `repeats()` afterwards."""

    def __init__(self) -> None:
        self._digests = [array("Q") for _ in range(_BUCKETS)]
        self._indexes = [array("I") for _ in range(_BUCKETS)]
        self._lines = [array("I") for _ in range(_BUCKETS)]

    def add(self, key: str, index: int, line: int) -> None:
        """Remember row `index` at `line` whose operation has canonical `key`."""
        digest = hashlib.blake2b(key.encode(), digest_size=8).digest()
        bucket = digest[0]
        self._digests[bucket].append(int.from_bytes(digest, "big"))
        self._indexes[bucket].append(index)
        self._lines[bucket].append(line)

    def repeats(self) -> Iterator[Repeat]:
        """Every row whose key an earlier row already had (bucket by bucket, not in row order)."""
        for digests, indexes, lines in zip(self._digests, self._indexes, self._lines, strict=True):
            # Rows enter in index order and sorting is stable, so each group starts at its first.
            order = sorted(range(len(digests)), key=digests.__getitem__)
            for _, group in groupby(order, key=digests.__getitem__):
                first, *rest = group
                for position in rest:
                    yield Repeat(indexes[position], lines[position], lines[first])
