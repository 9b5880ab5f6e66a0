"""Match a raw request path to a virtual-events resource, decoding each segment on its own.

The path is split on `/` *before* percent-decoding, so an id containing `%2F` stays one segment
(aiohttp's router decodes first, which is why the app routes everything through here).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from enum import Enum
from typing import Literal
from urllib.parse import unquote

from batch.operations import RequestClass

Collection = Literal["webinars", "townhalls"]
_PREFIX = ("solutions", "virtualevents")
_ALTERNATE_KEY = re.compile(r"^registrations\((email|userId)=(.*)\)$", re.IGNORECASE | re.DOTALL)
_FUNCTION = re.compile(r"^(getByUserRole|getByUserIdAndRole)\((.*)\)$", re.IGNORECASE | re.DOTALL)
_PARAMETER = re.compile(r"\s*(\w+)\s*=\s*('(?:[^']|'')*')\s*(?:,|$)")


class Resource(Enum):
    """Every resource shape the sandbox serves."""

    EVENTS_BY_USER_ROLE = "events-by-user-role"
    EVENTS_BY_USER_ID_AND_ROLE = "events-by-user-id-and-role"
    EVENT = "event"
    CANCEL_EVENT = "cancel-event"
    EVENT_SESSIONS = "event-sessions"
    SESSION = "session"
    REGISTRATIONS = "registrations"
    REGISTRATION = "registration"
    CANCEL_REGISTRATION = "cancel-registration"
    REGISTRATION_SESSIONS = "registration-sessions"
    SESSION_REF = "session-ref"

    @property
    def method(self) -> str:
        """The one HTTP method this resource answers."""
        if self in (Resource.CANCEL_EVENT, Resource.CANCEL_REGISTRATION):
            return "POST"
        return "DELETE" if self is Resource.SESSION_REF else "GET"


@dataclass(frozen=True)
class RegistrationKey:
    """How a path addresses a registration: by id, or by the email/userId alternate key."""

    by: Literal["id", "email", "userId"]
    value: str


@dataclass(frozen=True)
class Route:
    """A matched path: the resource and the decoded ids it names."""

    resource: Resource
    collection: Collection
    event_id: str
    registration: RegistrationKey | None = None
    session_id: str | None = None
    role: str | None = None
    """`role` of getByUserRole / getByUserIdAndRole (whose `event_id` is empty)."""
    user_id: str | None = None
    """`userId` of getByUserIdAndRole."""


class UnknownSegmentError(Exception):
    """No resource has this path; Graph answers 400 naming the first segment it did not know."""

    def __init__(self, segment: str) -> None:
        super().__init__(segment)
        self.segment = segment


class BadKeyError(Exception):
    """An alternate-key segment whose OData string literal is malformed."""


def request_class(method: str) -> RequestClass:
    """GET is a read; everything else is a write, as Graph throttles them."""
    return RequestClass.READ if method.upper() in ("GET", "HEAD") else RequestClass.WRITE


def split_raw_path(raw_path: str) -> list[str]:
    """Decoded segments of a raw path (query and fragment dropped, empty segments kept out)."""
    path = raw_path.split("?", 1)[0].split("#", 1)[0]
    return [unquote(part) for part in path.split("/") if part]


def parse_odata_string(literal: str) -> str:
    """The value of an OData string literal `'...'`, where `''` is an escaped quote."""
    if len(literal) < 2 or literal[0] != "'" or literal[-1] != "'":
        raise BadKeyError(f"expected a quoted string, got {literal}")
    inner = literal[1:-1]
    if "'" in inner.replace("''", ""):
        raise BadKeyError(f"unescaped quote in {literal}")
    return inner.replace("''", "'")


def _registration_key(segments: list[str]) -> tuple[RegistrationKey, int] | None:
    """The registration key at the head of `segments`, and how many segments it used."""
    head = segments[0]
    if head.lower() == "registrations" and len(segments) > 1:
        return RegistrationKey("id", segments[1]), 2
    found = _ALTERNATE_KEY.match(head)
    if found is None:
        return None
    by: Literal["email", "userId"] = "email" if found[1].lower() == "email" else "userId"
    return RegistrationKey(by, parse_odata_string(found[2])), 1


def _function_route(collection: Collection, segment_text: str) -> Route | None:
    """The route of `getByUserRole(role='...')` or `getByUserIdAndRole(userId='...',role='...')`."""
    found = _FUNCTION.match(segment_text)
    if found is None:
        return None
    arguments, position = {}, 0
    text = found[2].strip()
    while position < len(text):
        parameter = _PARAMETER.match(text, position)
        if parameter is None:
            raise BadKeyError(f"malformed parameters in {segment_text}")
        arguments[parameter[1].lower()] = parse_odata_string(parameter[2])
        position = parameter.end()
    by_id = found[1].lower() == "getbyuseridandrole"
    expected = {"userid", "role"} if by_id else {"role"}
    if set(arguments) != expected:
        raise BadKeyError(f"{found[1]} takes {', '.join(sorted(expected))}")
    resource = Resource.EVENTS_BY_USER_ID_AND_ROLE if by_id else Resource.EVENTS_BY_USER_ROLE
    return Route(resource, collection, "", role=arguments["role"], user_id=arguments.get("userid"))


_UNDER_EVENT = {
    (): Resource.EVENT,
    ("cancel",): Resource.CANCEL_EVENT,
    ("sessions",): Resource.EVENT_SESSIONS,
    ("registrations",): Resource.REGISTRATIONS,
}
"""What an event's path ends in (lower-cased) -> the resource it names."""


def match(segments: list[str]) -> Route:
    """The route for version-relative path segments; raises UnknownSegmentError or BadKeyError."""
    for index, expected in enumerate(_PREFIX):
        if len(segments) <= index or segments[index].lower() != expected:
            raise UnknownSegmentError(segments[index] if len(segments) > index else "")
    rest = segments[len(_PREFIX) :]
    if not rest or rest[0].lower() not in ("webinars", "townhalls") or len(rest) < 2:
        raise UnknownSegmentError(rest[0] if rest else segments[-1])
    collection: Collection = "webinars" if rest[0].lower() == "webinars" else "townhalls"
    function = _function_route(collection, rest[1])
    if function is not None:
        if len(rest) > 2:
            raise UnknownSegmentError(rest[2])
        return function
    event = Route(Resource.EVENT, collection, rest[1])
    tail = rest[2:]
    lowered = [part.lower() for part in tail]
    if tuple(lowered) in _UNDER_EVENT:
        return replace(event, resource=_UNDER_EVENT[tuple(lowered)])
    if len(tail) == 2 and lowered[0] == "sessions":
        return replace(event, resource=Resource.SESSION, session_id=tail[1])
    if lowered[0] in ("cancel", "sessions"):
        raise UnknownSegmentError(tail[1 if lowered[0] == "cancel" else 2])
    keyed = _registration_key(tail)
    if keyed is None:
        raise UnknownSegmentError(tail[0])
    key, used = keyed
    return _under_registration(replace(event, registration=key), tail[used:])


def _under_registration(registration: Route, tail: list[str]) -> Route:
    """The route for what follows a registration key in the path."""
    lowered = [part.lower() for part in tail]
    if not tail:
        return replace(registration, resource=Resource.REGISTRATION)
    if lowered == ["cancel"]:
        return replace(registration, resource=Resource.CANCEL_REGISTRATION)
    if lowered == ["sessions"]:
        return replace(registration, resource=Resource.REGISTRATION_SESSIONS)
    if len(tail) == 3 and lowered[0] == "sessions" and lowered[2] == "$ref":
        return replace(registration, resource=Resource.SESSION_REF, session_id=tail[1])
    raise UnknownSegmentError(tail[-1] if lowered[0] in ("cancel", "sessions") else tail[0])
