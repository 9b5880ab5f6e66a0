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
"""The roles `getByUserRole` / `getByUserIdAndRole` take."""
