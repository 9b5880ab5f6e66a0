"""One logical Graph request, start to finish: auth, routing, throttling, faults, resource.

A direct API request and each `$batch` item both go through `Engine.handle`, so batch items are
authenticated, throttled and counted exactly like requests of their own.
"""

from __future__ import annotations

import asyncio
import math
import random
import uuid
from datetime import UTC, datetime, timedelta

from batch.operations import RequestClass
from batch.sandbox.answers import Answer
from batch.sandbox.config import STATUS_FAULTS, Clock, SandboxConfig, SystemClock
from batch.sandbox.faults import FaultPicker
from batch.sandbox.paging import PageRequest
from batch.sandbox.permissions import allowed, caller_kind, refusal_message
from batch.sandbox.resources import HANDLERS, Call
from batch.sandbox.routing import BadKeyError, Route, UnknownSegmentError, match, request_class
from batch.sandbox.stats import Recorder
from batch.sandbox.tenant import Tenant
from batch.sandbox.throttle import SlidingWindow, format_retry_after
from batch.sandbox.tokens import Refusal, TokenRecord, TokenRegistry, cae_claims
from batch.sandbox.world import TokenSpec, World
from batch.settings import RateLimit

AUTHORIZATION_URI = "https://login.microsoftonline.com/common/oauth2/authorize"
GRAPH_CLIENT_ID = "00000003-0000-0000-c000-000000000000"
_CHALLENGE = (
    f'Bearer realm="", authorization_uri="{AUTHORIZATION_URI}", client_id="{GRAPH_CLIENT_ID}"'
)
_REFUSALS = {
    Refusal.MISSING: "Access token is empty.",
    Refusal.UNKNOWN: "Invalid access token.",
    Refusal.EXPIRED: "Lifetime validation failed, the token is expired.",
    Refusal.CAE_CHALLENGE: "Continuous access evaluation resulted in challenge.",
}


class DropConnectionError(Exception):
    """Close the connection without answering (the `drop-before`/`drop-after` faults)."""

    def __init__(self, applied: bool) -> None:
        super().__init__("applied" if applied else "not applied")
        self.applied = applied


class Engine:
    """The sandbox's state and behaviour, independent of HTTP."""

    def __init__(self, world: World, config: SandboxConfig, clock: Clock | None = None) -> None:
        self.config = config
        self.clock = clock or SystemClock()
        self._mono_start = self.clock.monotonic()
        self._wall_start = datetime.now(UTC)
        self.tenant = Tenant(world)
        self.tokens = TokenRegistry(world.tenant_id, self._wall_start)
        for spec in world.tokens:
            self.tokens.add(spec)
        organizers = [e.organizer for e in (*world.webinars, *world.townhalls) if e.organizer]
        if self.tokens.first(app_only=False) is None:
            self.tokens.add(TokenSpec(name="organizer", upn=(organizers or [TokenSpec().upn])[0]))
        if self.tokens.first(app_only=True) is None:
            self.tokens.add(TokenSpec(name="app-only", app_only=True))
        self.recorder = Recorder()
        self._windows = {
            RequestClass.READ: SlidingWindow(
                config.read_limit, count_rejected=config.count_rejected
            ),
            RequestClass.WRITE: SlidingWindow(
                config.write_limit, count_rejected=config.count_rejected
            ),
        }
        self._announced = {RequestClass.READ: -math.inf, RequestClass.WRITE: -math.inf}
        self.faults = FaultPicker(config.faults, config.seed)
        self._latency_rng = random.Random(f"latency-{config.seed}")  # noqa: S311 - reproducible
        self.batch_rng = random.Random(f"batch-{config.seed}")  # noqa: S311 - reproducible

    def wall_now(self) -> datetime:
        """Wall-clock time as the injected clock sees it (token expiry, HTTP dates)."""
        return self._wall_start + timedelta(seconds=self.clock.monotonic() - self._mono_start)

    def new_request_id(self) -> str:
        """A fresh `request-id` (a GUID, as Graph sends)."""
        return str(uuid.uuid4())

    def reset_stats(self) -> None:
        """Zero the counters; requests in flight stay counted in `in_flight`."""
        self.recorder = Recorder(in_flight=self.recorder.in_flight)

    def limits(self) -> dict[str, str]:
        """The limits being enforced now, as `N/Ts` per class."""
        return {f"{klass.value}_limit": str(w.limit) for klass, w in self._windows.items()}

    def set_limit(self, klass: RequestClass, limit: RateLimit) -> None:
        """Enforce `limit` from now on; requests already counted stay in the window."""
        self._windows[klass].limit = limit

    def authenticate(self, authorization: str | None) -> TokenRecord | Answer:
        """The caller's token, or the 401 Graph gives for a missing, unknown or expired one."""
        checked = self.tokens.check(authorization, self.wall_now())
        if isinstance(checked, TokenRecord):
            return checked
        challenge = _CHALLENGE
        if checked is Refusal.CAE_CHALLENGE:
            claims = cae_claims(self.wall_now())
            challenge += f', error="insufficient_claims", claims="{claims}"'
        return Answer.error(
            401, "InvalidAuthenticationToken", _REFUSALS[checked], {"WWW-Authenticate": challenge}
        )

    async def handle(
        self,
        method: str,
        segments: list[str],
        authorization: str | None,
        *,
        item: bool = False,
        page: PageRequest = PageRequest(),  # noqa: B008 - frozen value, safe as a default.
    ) -> Answer:
        """Answer one logical request; a drop fault raises DropConnectionError (never for items).

        `page` says where the request went, so a list can link to its next page.
        """
        klass = request_class(method)
        self.recorder.request(method, klass.value)
        try:
            answer = await self._handle(
                method, segments, authorization, klass, item=item, page=page
            )
        except DropConnectionError:
            self.recorder.dropped += 1
            raise
        self.recorder.by_status[answer.status] += 1
        return answer

    async def _handle(
        self,
        method: str,
        segments: list[str],
        authorization: str | None,
        klass: RequestClass,
        *,
        item: bool,
        page: PageRequest,
    ) -> Answer:
        admitted = self._admit(method, segments, authorization, klass)
        if isinstance(admitted, Answer):
            return admitted
        route, caller = admitted
        fault = self.faults.pick(klass, status_only=item)
        if fault == "bad-json" and method != "GET":
            fault = None
        if fault is not None:
            self.recorder.faults[fault] += 1
        if fault in STATUS_FAULTS:
            return self.faults.status_answer(str(fault))
        if fault == "drop-before":
            raise DropConnectionError(applied=False)
        await self.delay(slow=fault == "slow")
        answer = HANDLERS[route.resource](
            Call(route, caller, self.tenant, self.config, self.recorder.applied, page)
        )
        if fault == "drop-after":
            raise DropConnectionError(applied=True)
        return Answer(answer.status, answer.body, answer.headers, corrupt=fault == "bad-json")

    def _admit(
        self, method: str, segments: list[str], authorization: str | None, klass: RequestClass
    ) -> tuple[Route, TokenRecord] | Answer:
        """Auth, routing and throttling, in Graph's order; an Answer means the request stops."""
        caller = self.authenticate(authorization)
        if isinstance(caller, Answer):
            return caller
        try:
            route = match(segments)
        except UnknownSegmentError as exc:
            return Answer.error(
                400, "BadRequest", f"Resource not found for the segment '{exc.segment}'."
            )
        except BadKeyError as exc:
            return Answer.error(400, "BadRequest", f"Invalid alternate key: {exc}.")
        if method != route.resource.method:
            return Answer.error(
                405,
                "MethodNotAllowed",
                f"The HTTP method '{method}' is not allowed for this resource.",
                {"Allow": route.resource.method},
            )
        throttled = self._throttle(klass)
        if throttled is not None:
            return throttled
        refused = self._refusal(route, caller)
        return (route, caller) if refused is None else refused

    def _refusal(self, route: Route, caller: TokenRecord) -> Answer | None:
        """The 403 the permission table gives this caller for this route, or None."""
        event = self.tenant.events.get((route.collection, route.event_id))
        kind = caller_kind(caller, None if event is None else event.spec)
        mode = self.config.permissions
        if kind is None or allowed(mode, route.resource, kind):
            return None
        return Answer.error(403, "Forbidden", refusal_message(route.resource, kind, mode))

    def envelope_fault(self) -> str | None:
        """The fault for a `$batch` envelope (class-restricted faults never hit envelopes)."""
        fault = self.faults.pick(None)
        if fault == "bad-json":
            return None
        if fault is not None:
            self.recorder.faults[fault] += 1
        return fault

    async def delay(self, *, slow: bool) -> None:
        """Sleep the configured latency, plus a `slow` fault's delay when asked."""
        seconds = self.config.latency_ms / 1000
        if self.config.latency_jitter_ms:
            seconds += self._latency_rng.uniform(0, self.config.latency_jitter_ms) / 1000
        if slow:
            seconds += self.faults.slow_seconds()
        # Even with no latency, yield once: requests that arrived together then overlap, as on
        # a real server, so `max_concurrent` reflects the client's concurrency.
        await asyncio.sleep(seconds)

    def _throttle(self, klass: RequestClass) -> Answer | None:
        """None if the class's window admits the request, else the 429 with `Retry-After`."""
        now = self.clock.monotonic()
        if now < self._announced[klass]:
            self.recorder.early_retries += 1
        wait = self._windows[klass].acquire(now)
        if wait is None:
            return None
        self.recorder.throttled += 1
        if self.config.retry_after_429 is not None:
            wait = self.config.retry_after_429
        self._announced[klass] = max(self._announced[klass], now + wait)
        retry_after = format_retry_after(wait, self.config.retry_after_format, self.wall_now())
        return Answer.error(
            429,
            "TooManyRequests",
            "Too many requests. Retry after the time given in the Retry-After header.",
            {"Retry-After": retry_after},
        )
