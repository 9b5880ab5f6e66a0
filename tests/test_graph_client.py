"""The Graph client against a real local server: every kind of answer becomes a value or a
TransportError, never an aiohttp exception."""

from __future__ import annotations

import asyncio
import tracemalloc
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from batch.errors import TransportError
from batch.http.client import MAX_BODY_BYTES, GraphClient

SEEN: list[dict[str, str]] = []


async def _handler(request: web.Request) -> web.StreamResponse:  # noqa: PLR0911 - one per route
    SEEN.append({"path": request.raw_path, **dict(request.headers)})
    name = request.match_info["name"]
    if name == "ok":
        return web.json_response({"status": "canceled"}, headers={"request-id": "rid-1"})
    if name == "nocontent":
        return web.Response(status=204)
    if name == "graph-error":
        body = {"error": {"code": "Forbidden", "message": "nope"}}
        return web.json_response(body, status=403)
    if name == "html-error":
        return web.Response(status=502, text="<html>Bad gateway</html>", content_type="text/html")
    if name == "bad-json":
        return web.Response(status=200, text='{"status": "canc', content_type="application/json")
    if name == "slow":
        await asyncio.sleep(2)
        return web.Response(status=204)
    if name == "drop":
        assert request.transport is not None
        request.transport.close()
        return web.Response(status=204)
    if name == "huge":
        return await _huge(request)
    if name == "truncated":
        response = web.StreamResponse(status=200, headers={"Content-Length": "100"})
        await response.prepare(request)
        await response.write(b'{"a": 1')
        assert request.transport is not None
        request.transport.close()
        return response
    return web.Response(status=404)


async def _huge(request: web.Request) -> web.StreamResponse:
    """100 MiB, chunked or with its length declared, until the client hangs up."""
    response = web.StreamResponse(headers={"Content-Type": "application/json"})
    if request.query.get("declared"):
        response.content_length = 100 * 1024 * 1024
    else:
        response.enable_chunked_encoding()
    await response.prepare(request)
    try:
        for _ in range(100):
            await response.write(b" " * (1024 * 1024))
    except ConnectionError:
        pass  # The client stopped reading, as it should.
    return response


@pytest.fixture
async def server() -> AsyncIterator[TestServer]:
    """A local server answering in every way Graph (or a proxy) might."""
    app = web.Application()
    app.router.add_route("*", "/v1.0/x/{name}", _handler)
    srv = TestServer(app, host="127.0.0.1")
    await srv.start_server()
    try:
        yield srv
    finally:
        await srv.close()


def _client(server: TestServer, timeout: float = 1.0) -> GraphClient:
    return GraphClient(str(server.make_url("")), "v1.0", request_timeout=timeout)


@pytest.mark.parametrize(
    ("name", "status", "code", "body_is_none"),
    [
        ("ok", 200, None, False),
        ("nocontent", 204, None, True),
        ("graph-error", 403, "Forbidden", False),
        ("html-error", 502, None, True),
        ("missing", 404, None, True),
    ],
)
async def test_answers_become_values(
    server: TestServer, name: str, status: int, code: str | None, body_is_none: bool
) -> None:
    """Statuses, Graph error codes and non-JSON bodies all come back as a GraphResponse."""
    async with _client(server) as client:
        response = await client.send("POST", f"/x/{name}", token="t", client_request_id="c")
    assert (response.status, response.error_code, response.body is None) == (
        status,
        code,
        body_is_none,
    )


@pytest.mark.parametrize(
    ("name", "kind"),
    [("bad-json", "invalid-json"), ("slow", "timeout"), ("drop", "disconnected")],
)
async def test_failures_become_transport_errors(server: TestServer, name: str, kind: str) -> None:
    """Unreadable successes, timeouts and dropped connections map to TransportError kinds."""
    async with _client(server, timeout=0.5) as client:
        with pytest.raises(TransportError) as caught:
            await client.send("GET", f"/x/{name}", token="t", client_request_id="c")
    assert caught.value.kind == kind


@pytest.mark.parametrize("query", ["", "?declared=1"])
async def test_a_100_mib_body_is_never_read_whole(server: TestServer, query: str) -> None:
    """Past MAX_BODY_BYTES (streamed or declared) the answer is a `too-large` TransportError,
    and reading it costs about the cap in memory, not the body's 100 MiB."""
    tracemalloc.start()
    try:
        async with _client(server, timeout=10) as client:
            with pytest.raises(TransportError) as caught:
                await client.send("GET", f"/x/huge{query}", token="t", client_request_id="c")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert caught.value.kind == "too-large"
    assert peak < 3 * MAX_BODY_BYTES


@pytest.mark.parametrize(("name", "kind"), [("nocontent", "empty-body"), ("missing", None)])
async def test_a_read_without_a_body(server: TestServer, name: str, kind: str | None) -> None:
    """A GET answered 2xx without a JSON object is a TransportError; a 404 stays an answer."""
    async with _client(server) as client:
        if kind is None:
            assert (
                await client.send("GET", f"/x/{name}", token="t", client_request_id="c")
            ).status == 404
            return
        with pytest.raises(TransportError) as caught:
            await client.send("GET", f"/x/{name}", token="t", client_request_id="c")
    assert caught.value.kind == kind


async def test_truncated_body_is_a_transport_error(server: TestServer) -> None:
    """A body cut short by the server is a TransportError, whatever aiohttp calls it."""
    async with _client(server) as client:
        with pytest.raises(TransportError):
            await client.send("GET", "/x/truncated", token="t", client_request_id="c")


async def test_refused_connection_is_a_transport_error() -> None:
    """Nothing listening: a connection TransportError, not an aiohttp exception."""
    async with GraphClient("http://127.0.0.1:9", "v1.0", request_timeout=1) as client:
        with pytest.raises(TransportError) as caught:
            await client.send("GET", "/x/ok", token="t", client_request_id="c")
    assert caught.value.kind == "connection"


async def test_headers_and_encoded_path(server: TestServer) -> None:
    """Bearer token and client-request-id are sent; percent-encoding is not re-encoded."""
    SEEN.clear()
    async with _client(server) as client:
        response = await client.send("GET", "/x/ok", token="tok", client_request_id="crid")
        await client.send("GET", "/x/a%40b%2Fc", token="tok", client_request_id="crid")
    assert response.request_id == "rid-1"
    assert SEEN[0]["Authorization"] == "Bearer tok"
    assert SEEN[0]["client-request-id"] == "crid"
    assert SEEN[1]["path"] == "/v1.0/x/a%40b%2Fc"


async def test_dropped_delete_is_not_silently_resent(server: TestServer) -> None:
    """A DELETE whose reused connection drops is one attempt: aiohttp must not resend it."""
    SEEN.clear()
    async with _client(server) as client:
        await client.send("GET", "/x/ok", token="t", client_request_id="c")  # warm the pool
        with pytest.raises(TransportError):
            await client.send("DELETE", "/x/drop", token="t", client_request_id="c")
    assert [seen["path"] for seen in SEEN].count("/v1.0/x/drop") == 1
