"""The aiohttp Reader against a real local server: encoding, auth, retries, Retry-After."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from hypothesis import given
from hypothesis import strategies as st

from batch.errors import UsageError
from batch.planning.http_reader import HttpReader, ReadPolicy, check_base_url, parse_retry_after
from batch.planning.window import SlidingWindow
from batch.settings import RateLimit
from tests.planning.fakes import RotatingTokens, StepClock

NOW = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)


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
    clock: StepClock
    tokens: RotatingTokens
    reader: HttpReader


Script = list[Callable[[], web.Response]]
HarnessFactory = Callable[[Script], Awaitable[Harness]]


@pytest.fixture
async def harness_factory() -> AsyncIterator[HarnessFactory]:
    """Start a scripted server and an HttpReader (5 attempts, fake clock) on demand."""
    servers: list[TestServer] = []
    readers: list[HttpReader] = []

    async def start(script: Script) -> Harness:
        seen = Seen()
        server = TestServer(make_app(seen, script), host="127.0.0.1")
        await server.start_server()
        servers.append(server)
        clock = StepClock()
        tokens = RotatingTokens()
        window = SlidingWindow(RateLimit(count=100, per_seconds=1), clock)
        reader = HttpReader(str(server.make_url("/v1.0")), tokens, window, clock, ReadPolicy())
        await reader.__aenter__()
        readers.append(reader)
        return Harness(seen, clock, tokens, reader)

    yield start
    for reader in readers:
        await reader.__aexit__(None, None, None)
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
    assert h.clock.sleeps == [2.5, 1.0]
    assert len(set(h.seen.request_ids)) == 3


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_gives_up_after_max_attempts(harness_factory: HarnessFactory, status: int) -> None:
    """A server that stays failing gets exactly max_attempts requests; the last answer is kept."""
    h = await harness_factory([lambda: error(status, "Transient")])
    result = await h.reader.get("/x")
    assert (result.status, result.error_code) == (status, "Transient")
    assert len(h.seen.raw_paths) == ReadPolicy().max_attempts
    assert all(0 <= wait <= ReadPolicy().backoff_cap for wait in h.clock.sleeps)


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


async def test_unreadable_success_retried_then_error(harness_factory: HarnessFactory) -> None:
    """A 200 whose body is not JSON is retried, then reported as `invalid-json`."""
    h = await harness_factory([lambda: web.Response(text="{not json", status=200)])
    result = await h.reader.get("/x")
    assert (result.status, result.body, result.error_code) == (200, None, "invalid-json")
    assert len(h.seen.raw_paths) == ReadPolicy().max_attempts


async def test_connection_refused_is_a_result() -> None:
    """No server at all: the read ends as a result with no status, not an exception."""
    clock = StepClock()
    window = SlidingWindow(RateLimit(count=10, per_seconds=1), clock)
    policy = ReadPolicy(max_attempts=2)
    async with HttpReader("http://127.0.0.1:9/v1.0", RotatingTokens(), window, clock, policy) as r:
        result = await r.get("/x")
    assert (result.status, result.error_code) == (None, "connection")


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("3", 3.0),
        ("2.128", 2.128),
        (" 0 ", 0.0),
        ("-4", 0.0),
        (format_datetime(NOW + timedelta(seconds=30), usegmt=True), 30.0),
        (format_datetime(NOW - timedelta(seconds=30), usegmt=True), 0.0),
        ("soon", None),
        ("", None),
        (None, None),
        ("inf", None),
        ("nan", None),
    ],
)
def test_parse_retry_after(value: str | None, seconds: float | None) -> None:
    """Seconds, fractional seconds and HTTP dates parse; junk is None; never negative."""
    assert parse_retry_after(value, NOW) == seconds


@given(st.text(max_size=40))
def test_parse_retry_after_never_raises(value: str) -> None:
    """Whatever a server sends, the parser returns None or a finite non-negative number."""
    parsed = parse_retry_after(value, NOW)
    assert parsed is None or parsed >= 0


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://graph.microsoft.com/", True),
        ("http://127.0.0.1:8080", True),
        ("http://localhost:1", True),
        ("http://[::1]:1", True),
        ("http://graph.microsoft.com", False),
        ("http://10.0.0.5", False),
        ("ftp://x", False),
        ("graph.microsoft.com", False),
    ],
)
def test_check_base_url(url: str, ok: bool) -> None:
    """Plain http goes to loopback only, so a token never travels unencrypted."""
    if ok:
        assert not check_base_url(url).endswith("/")
    else:
        with pytest.raises(UsageError):
            check_base_url(url)
