"""The client-side filters of `graph-batch list`.

Graph documents no `$filter` on `getByUserRole`, `getByUserIdAndRole`, sessions or
registrations, so every filter is applied here, to each item as it arrives (see docs/list.md).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from batch.http.shapes import graph_time


def parse_when(text: str) -> datetime:
    """An ISO 8601 date or date-time; without an offset it is UTC. Raises ValueError."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(
            f"expected an ISO 8601 date or date-time (2027-01-15, 2027-01-15T09:00, "
            f"2027-01-15T09:00+01:00), got {text!r}"
        ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def parse_statuses(text: str, allowed: tuple[str, ...]) -> frozenset[str]:
    """A comma-separated list of statuses, each one of `allowed` (any case). Raises ValueError."""
    by_lower = {status.lower(): status for status in allowed}
    chosen = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [part for part in chosen if part.lower() not in by_lower]
    if unknown or not chosen:
        raise ValueError(f"expected a comma-separated list of {', '.join(allowed)}, got {text!r}")
    return frozenset(by_lower[part.lower()] for part in chosen)


def parse_pattern(text: str) -> re.Pattern[str]:
    """A case-insensitive regular expression. Raises ValueError naming what is wrong."""
    try:
        return re.compile(text, re.IGNORECASE)
    except re.error as exc:
        raise ValueError(f"not a regular expression ({exc}): {text!r}") from None


def start_of(item: Mapping[str, Any]) -> datetime | None:
    """When an event or session starts (`startDateTime`), if it says so readably."""
    return graph_time(item.get("startDateTime"))


@dataclass(frozen=True)
class ItemFilter:
    """What an item must satisfy to be listed; an unset field lets everything through."""

    statuses: frozenset[str] | None = None
    """Compared in any case (Graph writes `published`; a stand-in might write `Published`)."""
    starts_after: datetime | None = None
    """Inclusive."""
    starts_before: datetime | None = None
    """Exclusive."""
    name: re.Pattern[str] | None = None
    """Searched in `displayName`."""
    email: re.Pattern[str] | None = None
    """Searched in `email`."""

    @property
    def by_time(self) -> bool:
        """Whether an item needs a readable start to be judged."""
        return self.starts_after is not None or self.starts_before is not None

    def matches(self, item: Mapping[str, Any]) -> bool:
        """True when `item` passes every filter; an item without a readable start fails a time
        filter (it cannot be shown to be inside the window)."""
        if self.statuses is not None:
            wanted = {status.lower() for status in self.statuses}
            if str(item.get("status")).lower() not in wanted:
                return False
        if self.name is not None and not self.name.search(str(item.get("displayName") or "")):
            return False
        if self.email is not None and not self.email.search(str(item.get("email") or "")):
            return False
        if not self.by_time:
            return True
        start = start_of(item)
        if start is None:
            return False
        after_ok = self.starts_after is None or start >= self.starts_after
        return after_ok and (self.starts_before is None or start < self.starts_before)
