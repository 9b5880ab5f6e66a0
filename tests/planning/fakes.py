"""Test doubles for the planning interfaces (our own Protocols, never aiohttp's)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field

from batch.auth.base import AccessToken
from batch.planning.reader import ReadResult


@dataclass
class TableReader:
    """A Reader answering from a table by path (default 404), counting calls per path."""

    answers: Mapping[str, ReadResult]
    delays: Mapping[str, float] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    in_flight: int = 0
    peak: int = 0

    async def get(self, path: str) -> ReadResult:
        """The table's answer after the path's (real, tiny) delay."""
        self.calls.append(path)
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            await asyncio.sleep(self.delays.get(path, 0))
        finally:
            self.in_flight -= 1
        return self.answers.get(path, ReadResult(404, error_code="NotFound"))


@dataclass
class RotatingTokens:
    """A TokenSource handing out `tok-1`, then `tok-2` after each forced refresh."""

    issued: int = 1
    refreshes: int = 0

    async def get_token(
        self, *, claims: str | None = None, force_refresh: bool = False
    ) -> AccessToken:
        """The current token, a new one when a refresh is forced."""
        if force_refresh:
            self.issued += 1
            self.refreshes += 1
        return AccessToken(f"tok-{self.issued}")

    async def close(self) -> None:
        """Nothing to release."""
