"""Parse a `Retry-After` header: integer seconds, fractional seconds (Graph once sent `2.128`),
or an HTTP date. Clamping is the retry policy's job, not the parser's."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait (never negative), or None when absent or unreadable."""
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        return _seconds_until_date(text, now or datetime.now(UTC))
    if not math.isfinite(seconds):
        return None
    return max(0.0, seconds)


def _seconds_until_date(text: str, now: datetime) -> float | None:
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        # RFC 9110 dates are always GMT; a naive result means the zone was left off.
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())
