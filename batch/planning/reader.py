"""The one narrow interface planning reads Graph through: `get(path) -> ReadResult`.

The planning core never sees aiohttp: `GraphReader` puts the runner's client behind it, and
tests put a table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class ReadResult:
    """What one GET finally gave (after retries); `status` is None when no answer came back."""

    status: int | None
    body: dict[str, Any] | None = None
    """The JSON object of the answer; None when it was absent or not a JSON object."""
    error_code: str | None = None
    """Graph's `error.code`, or our own (`timeout`, `connection`, `invalid-json`, ...)."""
    request_id: str | None = None


class Reader(Protocol):
    """Reads one Graph path (relative to the API version root, already percent-encoded)."""

    async def get(self, path: str) -> ReadResult:
        """The final answer for `path`; expected failures are results, never exceptions."""
        ...
