"""The plan's Reader (the runner's client, pacer, retries, tokens) against a real local server."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from batch.auth.token_holder import TokenHolder
from batch.http.client import GraphClient
from batch.http.pacing import Pacer
from batch.http.retry_policy import RetryPolicy
from batch.planning.graph_reader import PLAN_RETRY_POLICY, GraphReader
from batch.settings import RateLimit
from tests.fake_clock import FakeClock
from tests.planning.fakes import RotatingTokens


@dataclass
class Seen:
    """What the test server received."""

    raw_paths: list[str] = field(default_factory=list)
    auth: list[str] = field(default_factory=list)
    request_ids: list[str] = field(default_factory=list)


def make_app(seen: Seen, script: list[Callable[[], web.Response]]) -> web.Application:
    """An app answering every GET with the next scripted response (the last one repeats)."""

    async def handler(request: web.Request) -> web.Response:
        seen.raw_paths.append(request.raw_path)
        seen.auth.append(request.headers.get("Authorization", ""))
        seen.request_ids.append(request.headers.get("client-request-id", ""))
        answer = script[min(len(seen.raw_paths), len(script)) - 1]
        return answer()

    app = web.Application()
    app.router.add_route("GET", "/{tail:.*}", handler)
    return app


def error(status: int, code: str, headers: dict[str, str] | None = None) -> web.Response:
    """A Graph-shaped error response."""
    body = {"error": {"code": code, "message": "m"}}
    return web.json_response(body, status=status, headers=headers)


@dataclass
class Harness:
    """A scripted server plus a reader pointed at it."""

    seen: Seen
    clock: FakeClock
    tokens: RotatingTokens
    reader: GraphReader


Script = list[Callable[[], web.Response]]
HarnessFactory = Callable[[Script], Awaitable[Harness]]


@pytest.fixture
async def harness_factory() -> AsyncIterator[HarnessFactory]:
    """Start a scripted server and a GraphReader (5 attempts, fake clock) on demand."""
    servers: list[TestServer] = []
    clients: list[GraphClient] = []

    async def start(script: Script) -> Harness:
        seen = Seen()
        server = TestServer(make_app(seen, script), host="127.0.0.1")
        await server.start_server()
        servers.append(server)
        clock = FakeClock()
        tokens = RotatingTokens()
        client = GraphClient(str(server.make_url("")), "v1.0")
        await client.__aenter__()
        clients.append(client)
        pacer = Pacer(RateLimit(count=100, per_seconds=1), clock)
        reader = GraphReader(client, TokenHolder(tokens), pacer, clock)
        return Harness(seen, clock, tokens, reader)

    yield start
    for client in clients:
        await client.__aexit__(None, None, None)
    for server in servers:
        await server.close()


async def test_encoded_path_is_sent_verbatim(harness_factory: HarnessFactory) -> None:
    """`%40`, `%2F` and `%27` reach the server exactly as encoded (never re-quoted)."""
    h = await harness_factory([lambda: web.json_response({"status": "published"})])
    path = "/solutions/virtualEvents/webinars/a%2Fb%40t/registrations(email='o%27%27n%40c.com')"
    result = await h.reader.get(path)
    assert result.status == 200
    assert result.body == {"status": "published"}
    assert h.seen.raw_paths == ["/v1.0" + path]
    assert h.seen.auth == ["Bearer tok-1"]


async def test_retry_after_honoured_then_success(harness_factory: HarnessFactory) -> None:
    """429 and 503 with Retry-After are retried after exactly that wait, each with a new id."""
    h = await harness_factory(
        [
            lambda: error(429, "TooManyRequests", {"Retry-After": "2.5"}),
            lambda: error(503, "ServiceUnavailable", {"Retry-After": "1"}),
            lambda: web.json_response({"id": "s"}),
        ],
    )
    result = await h.reader.get("/x")
    assert (result.status, result.body) == (200, {"id": "s"})
    # The waits before the retries are the two Retry-Afters (the pacer may add its own after).
    assert h.clock.sleeps[:2] == [2.5, 1.0]
    assert len(set(h.seen.request_ids)) == 3
    assert h.reader.throttled == 1  # the 429 only: plan's progress shows it as run's does


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_gives_up_after_max_attempts(harness_factory: HarnessFactory, status: int) -> None:
    """A server that stays failing gets exactly max_attempts requests; the last answer is kept."""
    h = await harness_factory([lambda: error(status, "Transient")])
    result = await h.reader.get("/x")
    assert (result.status, result.error_code) == (status, "Transient")
    assert len(h.seen.raw_paths) == PLAN_RETRY_POLICY.max_attempts
    assert all(0 <= wait <= PLAN_RETRY_POLICY.cap for wait in h.clock.sleeps)


@pytest.mark.parametrize(("status", "code"), [(404, "NotFound"), (403, "Forbidden"), (400, "Bad")])
async def test_other_4xx_not_retried(
    harness_factory: HarnessFactory, status: int, code: str
) -> None:
    """404, 403 and 400 are answers, not faults: one request each."""
    h = await harness_factory([lambda: error(status, code)])
    result = await h.reader.get("/x")
    assert (result.status, result.error_code, len(h.seen.raw_paths)) == (status, code, 1)


async def test_401_refreshes_token_once(harness_factory: HarnessFactory) -> None:
    """A 401 gets one fresh token and one more try; a second 401 is the answer."""
    h = await harness_factory(
        [lambda: error(401, "InvalidAuthenticationToken"), lambda: web.json_response({"id": 1})],
    )
    assert (await h.reader.get("/x")).status == 200
    assert h.seen.auth == ["Bearer tok-1", "Bearer tok-2"]
    h2 = await harness_factory([lambda: error(401, "InvalidAuthenticationToken")])
    assert (await h2.reader.get("/x")).status == 401
    assert (len(h2.seen.raw_paths), h2.tokens.refreshes) == (2, 1)


@pytest.mark.parametrize("body", ["{not json", "[1, 2]"])
async def test_unreadable_success_retried_then_error(
    harness_factory: HarnessFactory, body: str
) -> None:
    """A 200 whose body is not a JSON object is retried, then reported as `invalid-json`."""
    h = await harness_factory([lambda: web.Response(text=body, status=200)])
    result = await h.reader.get("/x")
    assert (result.status, result.body, result.error_code) == (200, None, "invalid-json")
    assert len(h.seen.raw_paths) == PLAN_RETRY_POLICY.max_attempts


async def test_redirect_is_an_answer_not_followed(harness_factory: HarnessFactory) -> None:
    """A 302 is not followed (the token never goes elsewhere, unpaced): it is the answer."""
    h = await harness_factory([lambda: web.Response(status=302, headers={"Location": "/y"})])
    result = await h.reader.get("/x")
    assert (result.status, h.seen.raw_paths) == (302, ["/v1.0/x"])


async def test_connection_refused_is_a_result() -> None:
    """No server at all: the read ends as a result with no status, not an exception."""
    clock = FakeClock()
    pacer = Pacer(RateLimit(count=10, per_seconds=1), clock)
    policy = RetryPolicy(max_attempts=2)
    async with GraphClient("http://127.0.0.1:9", "v1.0") as client:
        reader = GraphReader(client, TokenHolder(RotatingTokens()), pacer, clock, policy)
        result = await reader.get("/x")
    assert (result.status, result.error_code) == (None, "connection")
