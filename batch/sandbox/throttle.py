"""Sliding-window throttling per request class, and how a 429 announces when to come back."""

from __future__ import annotations

import math
from collections import deque
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from batch.sandbox.config import RetryAfterFormat
from batch.settings import RateLimit


class SlidingWindow:
    """At most `limit.count` admitted requests in any `limit.per_seconds` window."""

    def __init__(self, limit: RateLimit, *, count_rejected: bool) -> None:
        self.limit = limit
        """Changeable while serving (another consumer appearing), keeping the stamps."""
        self._count_rejected = count_rejected
        self._stamps: deque[float] = deque()

    def acquire(self, now: float) -> float | None:
        """Admit a request arriving at `now` (returns None) or return seconds until a slot frees.

        With `count_rejected`, a rejected request still takes a slot, as Graph documents that
        every request sent while throttled counts against the limit.
        """
        while self._stamps and self._stamps[0] <= now - self.limit.per_seconds:
            self._stamps.popleft()
        if len(self._stamps) < self.limit.count:
            self._stamps.append(now)
            return None
        if self._count_rejected:
            self._stamps.append(now)
        # A retry fits once all but `count - 1` of the stamps have left the window.
        oldest_blocking = self._stamps[len(self._stamps) - self.limit.count]
        return max(oldest_blocking + self.limit.per_seconds - now, 0.001)


def format_retry_after(wait: float, style: RetryAfterFormat, wall_now: datetime) -> str:
    """The `Retry-After` value for a wait of `wait` seconds, never earlier than the real wait."""
    if style == "fractional":
        return f"{math.ceil(wait * 1000) / 1000:.3f}"
    if style == "http-date":
        # HTTP dates have whole seconds: round up so the date is never before the slot frees.
        moment = wall_now.astimezone(UTC) + timedelta(seconds=wait)
        moment = moment.replace(microsecond=0) + timedelta(seconds=1)
        return format_datetime(moment, usegmt=True)
    return str(max(1, math.ceil(wait)))
