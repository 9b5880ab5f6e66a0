"""What `graph-batch list` lists, the operations each listing can write, and the event roles.

Standard library only: the command line imports this to build its parser, and `--help` must
stay fast (no pydantic, no HTTP).
"""

from __future__ import annotations

from enum import StrEnum


class ListKind(StrEnum):
    """What `graph-batch list` lists."""

    EVENTS = "events"
    SESSIONS = "sessions"
    REGISTRATIONS = "registrations"


OPS: dict[ListKind, tuple[str, ...]] = {
    ListKind.EVENTS: ("cancel",),
    ListKind.SESSIONS: ("get-session",),
    ListKind.REGISTRATIONS: ("cancel-registration", "remove-session"),
}
"""The manifest operations a listing can write, per kind."""
ROLES = ("organizer", "coOrganizer")
EVENT_STATUSES = ("draft", "published", "canceled")
REGISTRATION_STATUSES = (
    "registered",
    "canceled",
    "waitlisted",
    "pendingApproval",
    "rejectedByOrganizer",
)
"""The statuses `--status` filters on, per kind (Graph's spelling)."""
"""The roles `getByUserRole` / `getByUserIdAndRole` take."""
