"""A clock for tests: time moves only when someone sleeps, so nothing really waits."""

from __future__ import annotations

import asyncio


class FakeClock:
    """Monotonic time that advances by exactly what is slept."""

    def __init__(self, start: float = 1000.0) -> None:
        self.time = start
        self.sleeps: list[float] = []

    def now(self) -> float:
        """The current fake time."""
        return self.time

    async def sleep(self, seconds: float) -> None:
        """Advance time instead of waiting (yielding once so other tasks run)."""
        self.sleeps.append(seconds)
        self.time += max(0.0, seconds)
        await asyncio.sleep(0)
