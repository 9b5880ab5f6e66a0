"""One listed item as output columns (table, CSV) or as a manifest row (`--op ... --out`).

A manifest row carries `op`, `event_type` and the ids, plus labels a reviewer reads and the
runner copies into the audit log: `x-display-name`, `x-start`, `x-status` (registrations also
`x-email`). Times are written in UTC, `2027-01-15T15:00:00Z`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from batch.http import shapes
from batch.listing.kinds import ListKind
from batch.operations import EventType

LABELS = ("x-display-name", "x-start", "x-status")
ID_COLUMNS: dict[ListKind, tuple[str, ...]] = {
    ListKind.EVENTS: ("event_id",),
    ListKind.SESSIONS: ("event_id", "session_id"),
    ListKind.REGISTRATIONS: ("event_id", "registration_id"),
}
SHOWN: dict[ListKind, tuple[str, ...]] = {
    ListKind.EVENTS: ("event_type", "event_id", "display_name", "status", "start", "end"),
    ListKind.SESSIONS: ("event_type", "event_id", "session_id", "subject", "start", "end"),
    ListKind.REGISTRATIONS: (
        "event_type",
        "event_id",
        "registration_id",
        "email",
        "display_name",
        "status",
    ),
}
"""The columns of `--format table` and `--format csv`, per kind."""


@dataclass(frozen=True)
class Listed:
    """One item as Graph returned it, with the event type (and event) it belongs to."""

    kind: ListKind
    event_type: EventType
    item: Mapping[str, Any]
    event_id: str = ""
    """The parent event of a session or registration."""

    def text(self, name: str) -> str:
        """A field of the item as text ("" when absent)."""
        value = self.item.get(name)
        return "" if value is None else str(value)

    def time(self, name: str) -> str:
        """A time field in UTC (`...Z`); the raw value when unreadable."""
        return shapes.time_text(self.item.get(name)) or ""

    @property
    def display_name(self) -> str:
        """`displayName` of an event, `subject` of a session, the registrant's name."""
        if self.kind is ListKind.SESSIONS:
            return self.text("subject")
        if self.kind is ListKind.REGISTRATIONS:
            return f"{self.text('firstName')} {self.text('lastName')}".strip()
        return self.text("displayName")

    @property
    def start(self) -> str:
        """When it starts; for a registration, when it was made (`registrationDateTime`)."""
        name = "registrationDateTime" if self.kind is ListKind.REGISTRATIONS else "startDateTime"
        return self.time(name)

    def ids(self) -> dict[str, str]:
        """The id columns: `event_id`, plus `session_id` or `registration_id`."""
        if self.kind is ListKind.EVENTS:
            return {"event_id": self.text("id")}
        own = "session_id" if self.kind is ListKind.SESSIONS else "registration_id"
        return {"event_id": self.event_id, own: self.text("id")}

    def shown(self) -> dict[str, str]:
        """The table / CSV columns."""
        values = {
            "event_type": self.event_type.value,
            **self.ids(),
            "display_name": self.display_name,
            "subject": self.text("subject"),
            "status": self.text("status"),
            "email": self.text("email"),
            "start": self.start,
            "end": self.time("endDateTime"),
        }
        return {column: values[column] for column in SHOWN[self.kind]}

    def as_json(self) -> dict[str, Any]:
        """The item as Graph returned it, plus `event_type`."""
        return {**self.item, "event_type": self.event_type.value}


def manifest_columns(kind: ListKind, session_id: str | None) -> tuple[str, ...]:
    """The manifest's columns: `op`, `event_type`, the ids, then the labels."""
    ids = ID_COLUMNS[kind] + (("session_id",) if session_id is not None else ())
    email = ("x-email",) if kind is ListKind.REGISTRATIONS else ()
    return ("op", "event_type", *ids, *LABELS, *email)


def manifest_row(listed: Listed, op: str, session_id: str | None) -> dict[str, str]:
    """The manifest row that applies `op` to `listed` (`session_id` for remove-session)."""
    row = {"op": op, "event_type": listed.event_type.value, **listed.ids()}
    if session_id is not None:
        row["session_id"] = session_id
    row |= {
        "x-display-name": listed.display_name,
        "x-start": listed.start,
        "x-status": listed.text("status"),
    }
    if listed.kind is ListKind.REGISTRATIONS:
        row["x-email"] = listed.text("email")
    return row
