"""The emulated tenant's mutable state, built from a World, and its Graph JSON shapes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from batch.sandbox.answers import JsonObject
from batch.sandbox.config import Shapes
from batch.sandbox.routing import Collection, RegistrationKey
from batch.sandbox.world import Event, Registration, Session, World

_ODATA_TYPES: dict[Collection, str] = {
    "webinars": "#microsoft.graph.virtualEventWebinar",
    "townhalls": "#microsoft.graph.virtualEventTownhall",
}


def graph_time(moment: datetime, shapes: Shapes = "schema") -> JsonObject | str:
    """A time as the schema has it (`dateTimeTimeZone`, UTC, seven fractional digits) or as
    the pages' examples show it (`"2026-12-01T15:00:00Z"`)."""
    utc = moment.astimezone(UTC)
    if shapes == "example":
        return utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"dateTime": utc.strftime("%Y-%m-%dT%H:%M:%S.0000000"), "timeZone": "UTC"}


@dataclass
class RegistrationState:
    """A registration as it is now: its status and the sessions it still holds."""

    spec: Registration
    status: str
    sessions: list[str]

    def to_graph(self) -> JsonObject:
        """The `virtualEventRegistration` JSON."""
        return {
            "@odata.type": "#microsoft.graph.virtualEventRegistration",
            "id": self.spec.id,
            "email": self.spec.email,
            "userId": self.spec.user_id,
            "firstName": self.spec.first_name,
            "lastName": self.spec.last_name,
            "status": self.status,
        }


@dataclass
class EventState:
    """A webinar or town hall as it is now."""

    collection: Collection
    spec: Event
    status: str
    registrations: dict[str, RegistrationState] = field(default_factory=dict)

    @property
    def sessions(self) -> dict[str, Session]:
        """The event's sessions by id (sessions themselves never change)."""
        return {session.id: session for session in self.spec.sessions}

    def find_registration(self, key: RegistrationKey) -> RegistrationState | None:
        """The registration a path key names; email matches case-insensitively."""
        if key.by == "id":
            return self.registrations.get(key.value)
        for registration in self.registrations.values():
            if key.by == "email" and registration.spec.email.lower() == key.value.lower():
                return registration
            if key.by == "userId" and registration.spec.user_id == key.value:
                return registration
        return None

    def to_graph(self, shapes: Shapes = "schema") -> JsonObject:
        """The `virtualEventWebinar` / `virtualEventTownhall` JSON."""
        return {
            "@odata.type": _ODATA_TYPES[self.collection],
            "id": self.spec.id,
            "displayName": self.spec.display_name,
            "status": self.status,
            "startDateTime": graph_time(self.spec.start, shapes),
            "endDateTime": graph_time(self.spec.end_time, shapes),
            "createdBy": {"user": {"userPrincipalName": self.spec.organizer}},
            "coOrganizers": [{"id": upn, "displayName": upn} for upn in self.spec.co_organizers],
        }

    def has_role(self, upn: str, role: str) -> bool:
        """Whether `upn` is this event's `organizer` or one of its `coOrganizer`s."""
        people = [self.spec.organizer or ""] if role == "organizer" else self.spec.co_organizers
        return upn.lower() in (person.lower() for person in people)


def session_to_graph(session: Session, shapes: Shapes = "schema") -> JsonObject:
    """The `virtualEventSession` JSON."""
    return {
        "@odata.type": "#microsoft.graph.virtualEventSession",
        "id": session.id,
        "subject": session.subject,
        "startDateTime": graph_time(session.start, shapes),
        "endDateTime": graph_time(session.end_time, shapes),
        "joinWebUrl": session.join_web_url,
    }


class Tenant:
    """All events, keyed by (collection, id)."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.events: dict[tuple[Collection, str], EventState] = {}
        sources: tuple[tuple[Collection, tuple[Event, ...]], ...] = (
            ("webinars", world.webinars),
            ("townhalls", world.townhalls),
        )
        for collection, events in sources:
            for event in events:
                state = EventState(collection, event, event.status)
                for reg in event.registrations:
                    state.registrations[reg.id] = RegistrationState(
                        reg, reg.status, list(reg.sessions)
                    )
                self.events[(collection, event.id)] = state

    def snapshot(self) -> JsonObject:
        """The current world (the body of `GET /_sandbox/state`)."""
        result: JsonObject = {"webinars": {}, "townhalls": {}}
        for (collection, event_id), event in self.events.items():
            result[collection][event_id] = {
                "status": event.status,
                "displayName": event.spec.display_name,
                "registrations": {
                    reg_id: {
                        "email": reg.spec.email,
                        "status": reg.status,
                        "sessions": list(reg.sessions),
                    }
                    for reg_id, reg in event.registrations.items()
                },
            }
        return result
