"""A deliberately different Graph stand-in, sharing no code (and few assumptions) with our sandbox.

Minimal: only the endpoints graph-batch sends, matched on the RAW path decoded segment by segment,
answering with the quirks another emulator or real Graph might plausibly show (200/202 cancels,
409/400/204 re-cancels, 404 bodies of every shape, no request ids, a FIXED throttling window with
odd `Retry-After`s, HTML gateway pages, resets, slow answers). It counts, per target, how often a
change was really applied and whether a write arrived after a delivered success, so a test can
tell "done once" from "done twice".

It also lists the signed-in user's events (`getByUserRole`) and an event's registrations (any
token: this stand-in checks no permissions) in pages whose next-page link comes
in another shape than our sandbox's (`$skip` or a hex `$skiptoken`, absolute or root-relative,
or on another host), with times as plain strings (Microsoft's examples) rather than objects.
"""

from __future__ import annotations

import asyncio
import json
import math
import re
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from email.utils import formatdate
from typing import Any, Literal
from urllib.parse import unquote

from aiohttp import web

NotFoundStyle = Literal["itemNotFound", "ResourceNotFound", "empty", "text"]
RetryAfterStyle = Literal["seconds", "fraction", "date", "missing", "zero"]
Fault = Literal["reset-after", "reset-before", "html-502", "json-500", "slow"]
_EMAIL_KEY = re.compile(r"^registrations\(email='(.*)'\)$")
_MINE = re.compile(r"^getByUserRole\(role='(\w+)'\)$")
NextLink = Literal[
    "absolute-skiptoken", "absolute-skip", "root-relative", "loop-self", "loop-first"
]
"""The next-page link's shape; `loop-self` links each page to itself, `loop-first` the second
page back to the first (a server whose paging never ends)."""


@dataclass(frozen=True)
class Quirks:
    """How this stand-in deviates from the documented happy path."""

    cancel_status: int = 204
    """First cancel of an event or registration: 204, 202, or 200 with a JSON body."""
    recancel: Literal["204", "409", "400"] = "204"
    """A second cancel: 204 again, 409 `Conflict`, or 400 with a code nobody documents."""
    not_found: NotFoundStyle = "itemNotFound"
    request_ids: Literal["none", "odd-case"] = "none"
    write_limit: int = 10_000
    read_limit: int = 10_000
    window: float = 1.0
    """Throttling window, fixed (aligned to multiples of `window`), not sliding."""
    retry_after: RetryAfterStyle = "seconds"
    read_503_every: int = 0
    """Every Nth read answers 503 with a fractional `Retry-After` (0: never)."""
    write_faults: tuple[Fault, ...] = ()
    """Faults cycled over the first write attempt of each target."""
    slow_seconds: float = 1.5
    odd_sessions: bool = False
    """GET session with extra fields, no joinWebUrl, times without timeZone."""
    published: bool = False
    """Microsoft's newest permission tables: the (delegated) token may not list a
    registration's sessions (403), only read the event, the registration and the session."""
    example_shapes: bool = False
    """GET session as the page's example shows it: wrapped in `value`, plain-string times."""
    page_size: int = 2
    """Events per page of `getByUserRole`."""
    next_link: NextLink = "absolute-skiptoken"
    next_link_origin: str | None = None
    """Put next-page links on this origin (`http://127.0.0.1:PORT`) instead of our own."""


@dataclass
class Registration:
    """One registration: its email, status and the sessions it is registered for."""

    email: str
    status: str = "registered"
    sessions: list[str] = field(default_factory=list)


@dataclass
class Event:
    """One webinar or town hall with its sessions and registrations."""

    kind: str
    status: str = "published"
    sessions: dict[str, str] = field(default_factory=dict)
    registrations: dict[str, Registration] = field(default_factory=dict)
    display_name: str = "An event"
    start: str = "2026-12-01T10:00:00Z"
    """A plain string, as in Microsoft's response examples (any offset)."""
    roles: tuple[str, ...] = ("organizer",)
    """The signed-in user's roles on this event, for `getByUserRole`."""


@dataclass
class Records:
    """What the stand-in saw, for the test's verdict."""

    applied: Counter[str] = field(default_factory=Counter)
    """Real state changes per target key."""
    writes: Counter[str] = field(default_factory=Counter)
    confirmed: set[str] = field(default_factory=set)
    """Targets whose write success reached the client."""
    resent_after_success: Counter[str] = field(default_factory=Counter)
    statuses: Counter[int] = field(default_factory=Counter)
    faults: Counter[str] = field(default_factory=Counter)


class _Reply(Exception):  # noqa: N818 - control flow inside the handler, never escapes it.
    def __init__(self, response: web.StreamResponse) -> None:
        self.response = response


class StandIn:
    """The stand-in's state and its aiohttp application."""

    def __init__(self, events: dict[str, Event], quirks: Quirks) -> None:
        self.events = events
        self.quirks = quirks
        self.records = Records()
        self._windows: Counter[tuple[str, int]] = Counter()
        self._reads = 0
        self._faulted: dict[str, int] = {}

    def app(self) -> web.Application:
        """An application answering every path through one raw-path router."""
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        return app

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        try:
            response = await self._route(request)
        except _Reply as reply:
            response = reply.response
        self.records.statuses[response.status] += 1
        if self.quirks.request_ids == "odd-case":
            response.headers["REQUEST-ID"] = str(uuid.uuid4())
            response.headers["Client-Request-Id"] = request.headers.get("client-request-id", "")
        return response

    async def _route(self, request: web.Request) -> web.StreamResponse:
        if not request.headers.get("Authorization", "").startswith("Bearer "):
            return _error(401, "InvalidAuthenticationToken", "no token")
        raw = request.raw_path.split("?", 1)[0]
        parts = [unquote(piece) for piece in raw.split("/")[1:]]
        if parts[:3] != ["v1.0", "solutions", "virtualEvents"] or len(parts) < 5:
            return _error(400, "BadRequest", f"Resource not found for the segment '{raw}'")
        self._throttle(request.method)
        collection, event_id, rest = parts[3], parts[4], parts[5:]
        mine = _MINE.match(event_id)
        if mine and not rest and request.method == "GET":
            return self._my_events(request, collection, mine.group(1))
        event = self.events.get(event_id)
        if event is None or f"{event.kind}s" != collection:
            return self._not_found()
        if request.method == "GET":
            return self._read(request, event_id, event, rest)
        return await self._write(request, event_id, event, rest)

    def _throttle(self, method: str) -> None:
        kind = "read" if method == "GET" else "write"
        limit = self.quirks.read_limit if kind == "read" else self.quirks.write_limit
        now = time.time()
        index = math.floor(now / self.quirks.window)
        self._windows[kind, index] += 1
        if self._windows[kind, index] > limit:
            raise _Reply(self._too_many((index + 1) * self.quirks.window - now))
        if kind == "read":
            self._reads += 1
            every = self.quirks.read_503_every
            if every and self._reads % every == 0:
                raise _Reply(_error(503, "ServiceUnavailable", "busy", {"Retry-After": "0.2"}))

    def _too_many(self, seconds: float) -> web.Response:
        style = self.quirks.retry_after
        headers = {
            "seconds": {"Retry-After": str(math.ceil(seconds))},
            "fraction": {"Retry-After": f"{seconds:.3f}"},
            "date": {"Retry-After": formatdate(time.time() + seconds + 1, usegmt=True)},
            "missing": {},
            "zero": {"Retry-After": "0"},
        }[style]
        return _error(429, "TooManyRequests", "slow down", headers)

    def _not_found(self) -> web.Response:
        style = self.quirks.not_found
        if style == "empty":
            return web.Response(status=404)
        if style == "text":
            return web.Response(status=404, text="Not Found", content_type="text/plain")
        return _error(404, style, "The requested resource does not exist.")

    def _my_events(self, request: web.Request, collection: str, role: str) -> web.Response:
        """The events where the caller has `role`, in pages."""
        chosen = sorted(
            (event_id, event)
            for event_id, event in self.events.items()
            if f"{event.kind}s" == collection and role in event.roles
        )
        return self._paged(request, [_event_body(event_id, event) for event_id, event in chosen])

    def _paged(self, request: web.Request, items: list[dict[str, Any]]) -> web.Response:
        """One page of `items` and, unless it is the last, a link to the next."""
        skip = int(request.query.get("$skip") or int(request.query.get("$skiptoken") or "0", 16))
        size = self.quirks.page_size
        body: dict[str, Any] = {
            "@odata.context": "https://x/$metadata#items",
            "value": items[skip : skip + size],
        }
        here = f"{request.scheme}://{request.host}{request.raw_path}"
        if self.quirks.next_link == "loop-self":
            body["@odata.nextLink"] = here
        elif self.quirks.next_link == "loop-first":
            first = here.split("?", 1)[0]
            body["@odata.nextLink"] = f"{first}?$skip={size}" if not skip else first
        elif skip + size < len(items):
            query = (
                f"$skip={skip + size}"
                if self.quirks.next_link == "absolute-skip"
                else f"$skiptoken={skip + size:08x}"
            )
            link = f"{request.raw_path.split('?', 1)[0]}?{query}"
            if self.quirks.next_link_origin is not None:
                link = self.quirks.next_link_origin + link
            elif self.quirks.next_link != "root-relative":
                link = f"{request.scheme}://{request.host}{link}"
            body["@odata.nextLink"] = link
        return _json(200, body)

    def _registration(self, event: Event, rest: list[str]) -> tuple[str, Registration, list[str]]:
        if rest[:1] == ["registrations"] and len(rest) >= 2:
            found = event.registrations.get(rest[1])
            key, tail = rest[1], rest[2:]
        elif rest and (match := _EMAIL_KEY.match(rest[0])):
            email = match.group(1).replace("''", "'").lower()
            key, tail = email, rest[1:]
            found = next(
                (r for r in event.registrations.values() if r.email.lower() == email), None
            )
            key = next((k for k, r in event.registrations.items() if r is found), email)
        else:
            raise _Reply(self._not_found())
        if found is None:
            raise _Reply(self._not_found())
        return key, found, tail

    def _read(
        self, request: web.Request, event_id: str, event: Event, rest: list[str]
    ) -> web.Response:
        if not rest:
            return _json(200, _event_body(event_id, event))
        if rest == ["registrations"]:
            return self._paged(request, _registrations_body(event))
        if rest[0] == "sessions" and len(rest) == 2:
            if rest[1] not in event.sessions:
                return self._not_found()
            return _json(200, self._session_body(rest[1], event.sessions[rest[1]]))
        return self._read_registration(event, rest)

    def _read_registration(self, event: Event, rest: list[str]) -> web.Response:
        registration_id, registration, tail = self._registration(event, rest)
        if not tail:
            body = {"id": registration_id, "email": registration.email}
            return _json(200, body | {"status": registration.status, "extra": [1, 2]})
        if tail == ["sessions"]:
            return self._registration_sessions(event, registration)
        return self._not_found()

    def _registration_sessions(self, event: Event, registration: Registration) -> web.Response:
        if self.quirks.published:
            return _error(403, "Forbidden", "Delegated permissions are not supported.")
        value = [{"id": s, "subject": event.sessions.get(s, "")} for s in registration.sessions]
        return _json(200, {"@odata.context": "https://x/$metadata#sessions", "value": value})

    def _session_body(self, session_id: str, subject: str) -> dict[str, Any]:
        body: dict[str, Any] = {
            "@odata.type": "#microsoft.graph.virtualEventSession",
            "id": session_id,
            "subject": subject,
            "startDateTime": {"dateTime": "2026-12-01T10:00:00.0000000", "timeZone": "UTC"},
            "endDateTime": {"dateTime": "2026-12-01T11:00:00.0000000", "timeZone": "UTC"},
            "joinWebUrl": "https://teams.example/join",
        }
        if self.quirks.odd_sessions:
            del body["joinWebUrl"]
            body["startDateTime"] = {"dateTime": "2026-12-01T10:00:00Z"}
            body["endDateTime"] = None
            body |= {"@odata.context": "https://x/$metadata#session", "newThing": {"a": [1]}}
        if self.quirks.example_shapes:
            body["startDateTime"], body["endDateTime"] = "2026-12-01T10:00:00Z", "2026-12-01T11:00Z"
            return {"@odata.context": "https://x/$metadata#session", "value": body}
        return body

    async def _write(
        self, request: web.Request, event_id: str, event: Event, rest: list[str]
    ) -> web.StreamResponse:
        if request.method == "POST" and rest == ["cancel"]:
            key = f"cancel:{event_id}"
            return await self._change(request, key, event, "status")
        registration_id, registration, tail = self._registration(event, rest)
        if request.method == "POST" and tail == ["cancel"]:
            key = f"cancel-registration:{event_id}:{registration_id}"
            return await self._change(request, key, registration, "status")
        if request.method == "DELETE" and len(tail) == 3 and tail[::2] == ["sessions", "$ref"]:
            key = f"remove-session:{event_id}:{registration_id}:{tail[1]}"
            return await self._change(request, key, registration, tail[1])
        return _error(405, "MethodNotAllowed", "no such write")

    async def _change(
        self, request: web.Request, key: str, target: Event | Registration, what: str
    ) -> web.StreamResponse:
        """Apply one write (status -> canceled, or drop session `what`) with this target's fault."""
        self.records.writes[key] += 1
        if key in self.records.confirmed:
            self.records.resent_after_success[key] += 1
        fault = self._fault_for(key)
        if fault in {"reset-before", "html-502", "json-500"}:
            return await self._fail(request, fault)
        if what == "status":
            done = target.status == "canceled"
            target.status = "canceled"
        else:
            assert isinstance(target, Registration)
            done = what not in target.sessions
            if done:
                return self._not_found()
            target.sessions.remove(what)
        if done and self.quirks.recancel != "204":
            return _error(
                409 if self.quirks.recancel == "409" else 400,
                "Conflict" if self.quirks.recancel == "409" else "EventAlreadyCanceledX",
                "already canceled",
                target="status",
            )
        if not done:
            self.records.applied[key] += 1
        if fault is not None:
            return await self._fail(request, fault)
        self.records.confirmed.add(key)
        return self._success(what == "status")

    def _fault_for(self, key: str) -> Fault | None:
        faults = self.quirks.write_faults
        if not faults or key in self._faulted:
            return None
        self._faulted[key] = len(self._faulted)
        fault = faults[self._faulted[key] % len(faults)]
        self.records.faults[fault] += 1
        return fault

    def _success(self, is_cancel: bool) -> web.Response:
        status = self.quirks.cancel_status if is_cancel else 204
        if status == 200:
            return _json(200, {"@odata.context": "https://x/$metadata#result", "value": True})
        return web.Response(status=status)

    async def _fail(self, request: web.Request, fault: Fault) -> web.StreamResponse:
        if fault == "html-502":
            html = "<html><body><h1>502 Bad Gateway</h1>nginx</body></html>"
            return web.Response(status=502, text=html, content_type="text/html")
        if fault == "json-500":
            return _json(500, {"message": "boom"})
        if fault == "slow":
            await asyncio.sleep(self.quirks.slow_seconds)
            return web.Response(status=204)
        response = web.StreamResponse(status=200)
        if fault == "reset-after":
            # Headers and half a body, then the connection goes: a truncated answer.
            response.content_length = 64
            await response.prepare(request)
            await response.write(b'{"value": tr')
        if request.transport is not None:
            request.transport.close()
        return response


def _event_body(event_id: str, event: Event) -> dict[str, Any]:
    kind = "Webinar" if event.kind == "webinar" else "Townhall"
    return {
        "@odata.context": "https://x/$metadata#event",
        "@odata.type": f"#microsoft.graph.virtualEvent{kind}",
        "id": event_id,
        "status": event.status,
        "displayName": event.display_name,
        "startDateTime": event.start,
        "endDateTime": None,
        "settings": {"isAttendeeEmailNotificationEnabled": False},
    }


def _registrations_body(event: Event) -> list[dict[str, Any]]:
    """An event's registrations, as the list-registrations example shows them."""
    return [
        {
            "id": registration_id,
            "email": registration.email,
            "status": registration.status,
            "registrationDateTime": "2026-11-02T08:00:00Z",
        }
        for registration_id, registration in sorted(event.registrations.items())
    ]


def _json(status: int, body: object, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(
        status=status,
        body=json.dumps(body).encode(),
        content_type="application/json",
        headers=headers,
    )


def _error(
    status: int,
    code: str,
    message: str,
    headers: dict[str, str] | None = None,
    target: str | None = None,
) -> web.Response:
    error: dict[str, Any] = {"code": code, "message": message}
    if target is not None:
        error |= {"target": target, "details": [{"code": "Inner", "message": "x", "target": "y"}]}
    return _json(status, {"error": error}, headers)
