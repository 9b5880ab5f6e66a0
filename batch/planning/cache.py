"""A bounded read cache: rows sharing a target (many rows on one event) share one GET.

Concurrent rows asking for the same path await the same in-flight read; the least recently used
entries are dropped beyond `max_entries`, so memory stays flat on a manifest of any size.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict

from batch.planning.reader import Reader, ReadResult

DEFAULT_MAX_ENTRIES = 4096


class CachingReader:
    """A `Reader` that answers repeated paths from memory (LRU, at most `max_entries`)."""

    def __init__(self, inner: Reader, max_entries: int = DEFAULT_MAX_ENTRIES) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self._inner = inner
        self._max = max_entries
        self._entries: OrderedDict[str, asyncio.Task[ReadResult]] = OrderedDict()
        self.hits = 0
        """Reads answered without a request (for the summary and for tests)."""

    def __len__(self) -> int:
        return len(self._entries)

    async def get(self, path: str) -> ReadResult:
        """The cached (or in-flight) answer for `path`, else a new read."""
        task = self._entries.get(path)
        if task is None:
            task = asyncio.ensure_future(self._inner.get(path))
            self._entries[path] = task
            while len(self._entries) > self._max:
                # Dropping an in-flight task is safe: whoever awaits it still holds it.
                self._entries.popitem(last=False)
        else:
            self.hits += 1
            self._entries.move_to_end(path)
        # shield: one waiter being cancelled must not cancel the read other rows share.
        return await asyncio.shield(task)
