"""What each virtual-events endpoint does to the tenant: pure state changes returning Answers.

Authentication, throttling and faults happen before these run (see `engine.py`); here a request
is already admitted and only the resource semantics remain. Every applied mutation is counted
per target so a test can prove nothing was applied twice.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from batch.sandbox.answers import NO_CONTENT, Answer
from batch.sandbox.config import SandboxConfig
from batch.sandbox.paging import PageRequest, page_answer
from batch.sandbox.routing import Resource, Route
from batch.sandbox.tenant import EventState, RegistrationState, Tenant, session_to_graph
from batch.sandbox.tokens import TokenRecord


@dataclass(frozen=True)
class Call:
    """An admitted request: where it goes, who asks, and where mutations are counted."""

    route: Route
    caller: TokenRecord
    tenant: Tenant
    config: SandboxConfig
    applied: Counter[str]
    page: PageRequest = PageRequest()  # noqa: RUF009 - frozen value, safe as a default.


def _not_found(call: Call, what: str, ident: str) -> Answer:
    return Answer.error(404, call.config.not_found_code, f"The {what} '{ident}' was not found.")


def _event(call: Call) -> EventState | Answer:
    event = call.tenant.events.get((call.route.collection, call.route.event_id))
    return event or _not_found(call, "virtual event", call.route.event_id)


def _registration(call: Call) -> tuple[EventState, RegistrationState] | Answer:
    event = _event(call)
    if isinstance(event, Answer):
        return event
    key = call.route.registration
    registration = None if key is None else event.find_registration(key)
    if registration is None:
        ident = "" if key is None else f"{key.by}={key.value}"
        return _not_found(call, "registration", ident)
    return event, registration


def _recancel(call: Call, what: str) -> Answer:
    status = call.config.recancel_status
    if status == 204:
        return NO_CONTENT
    code = "BadRequest" if status == 400 else "Conflict"
    return Answer.error(status, code, f"The {what} has already been canceled.")


def get_event(call: Call) -> Answer:
    """`GET .../{webinars|townhalls}/{id}`."""
    event = _event(call)
    return event if isinstance(event, Answer) else Answer(200, event.to_graph(call.config.shapes))


def cancel_event(call: Call) -> Answer:
    """`POST .../{id}/cancel` (who may: see `permissions.py`); a re-cancel is configurable."""
    event = _event(call)
    if isinstance(event, Answer):
        return event
    if event.status == "canceled":
        return _recancel(call, "event")
    event.status = "canceled"
    call.applied[f"cancel:{event.collection}/{event.spec.id}"] += 1
    return NO_CONTENT


ROLES = ("organizer", "coOrganizer")


def _events_of(call: Call, upn: str) -> Answer:
    role = call.route.role or ""
    if role not in ROLES:
        return Answer.error(400, "BadRequest", f"Invalid role '{role}'; use one of {ROLES}.")
    events = [
        event.to_graph(call.config.shapes)
        for (collection, _), event in call.tenant.events.items()
        if collection == call.route.collection and event.has_role(upn, role)
    ]
    return page_answer(events, call.page, call.config.page_size)


def list_events_by_user_role(call: Call) -> Answer:
    """`GET .../getByUserRole(role='...')`: the signed-in user's events (who may: see
    `permissions.py`)."""
    return _events_of(call, call.caller.upn)


def list_events_by_user_id_and_role(call: Call) -> Answer:
    """`GET .../getByUserIdAndRole(userId='...',role='...')`: a user's events, by object id."""
    return _events_of(call, call.tenant.world.upn_of(call.route.user_id or ""))


def list_event_sessions(call: Call) -> Answer:
    """`GET .../{id}/sessions`, paged."""
    event = _event(call)
    if isinstance(event, Answer):
        return event
    sessions = [session_to_graph(s, call.config.shapes) for s in event.spec.sessions]
    return page_answer(sessions, call.page, call.config.page_size)


def get_session(call: Call) -> Answer:
    """`GET .../{id}/sessions/{sessionId}`."""
    event = _event(call)
    if isinstance(event, Answer):
        return event
    session = event.sessions.get(call.route.session_id or "")
    if session is None:
        return _not_found(call, "session", call.route.session_id or "")
    body = session_to_graph(session, call.config.shapes)
    # The get-session page's example wraps the session in `value`; the schema does not.
    return Answer(200, {"value": body} if call.config.shapes == "example" else body)


def list_registrations(call: Call) -> Answer:
    """`GET .../{id}/registrations`, paged (who may: see `permissions.py`)."""
    event = _event(call)
    if isinstance(event, Answer):
        return event
    registrations = [r.to_graph() for r in event.registrations.values()]
    return page_answer(registrations, call.page, call.config.page_size)


def get_registration(call: Call) -> Answer:
    """`GET .../registrations/{id}` or `registrations(email='...')`."""
    found = _registration(call)
    return found if isinstance(found, Answer) else Answer(200, found[1].to_graph())


def cancel_registration(call: Call) -> Answer:
    """`POST .../registrations/{id}/cancel`; a re-cancel answers like an event re-cancel."""
    found = _registration(call)
    if isinstance(found, Answer):
        return found
    event, registration = found
    if registration.status == "canceled":
        return _recancel(call, "registration")
    registration.status = "canceled"
    call.applied[f"cancel-registration:{event.spec.id}/{registration.spec.id}"] += 1
    return NO_CONTENT


def list_registration_sessions(call: Call) -> Answer:
    """`GET .../registrations/{id}/sessions`."""
    found = _registration(call)
    if isinstance(found, Answer):
        return found
    event, registration = found
    sessions, shapes = event.sessions, call.config.shapes
    listed = [session_to_graph(sessions[s], shapes) for s in registration.sessions]
    return Answer(200, {"value": listed})


def remove_session(call: Call) -> Answer:
    """`DELETE .../registrations/{id}/sessions/{sessionId}/$ref`; 404 if not on the registration."""
    found = _registration(call)
    if isinstance(found, Answer):
        return found
    event, registration = found
    session_id = call.route.session_id or ""
    if session_id not in registration.sessions:
        return _not_found(call, "session reference", session_id)
    registration.sessions.remove(session_id)
    call.applied[f"remove-session:{event.spec.id}/{registration.spec.id}/{session_id}"] += 1
    return NO_CONTENT


HANDLERS: dict[Resource, Callable[[Call], Answer]] = {
    Resource.EVENTS_BY_USER_ROLE: list_events_by_user_role,
    Resource.EVENTS_BY_USER_ID_AND_ROLE: list_events_by_user_id_and_role,
    Resource.EVENT: get_event,
    Resource.CANCEL_EVENT: cancel_event,
    Resource.EVENT_SESSIONS: list_event_sessions,
    Resource.SESSION: get_session,
    Resource.REGISTRATIONS: list_registrations,
    Resource.REGISTRATION: get_registration,
    Resource.CANCEL_REGISTRATION: cancel_registration,
    Resource.REGISTRATION_SESSIONS: list_registration_sessions,
    Resource.SESSION_REF: remove_session,
}
"""The handler of every resource the router knows."""
