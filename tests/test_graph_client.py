"""The Graph client against a real local server: every kind of answer becomes a value or a
TransportError, never an aiohttp exception."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from batch.errors import TransportError
from batch.http.client import GraphClient

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
    if name == "truncated":
        response = web.StreamResponse(status=200, headers={"Content-Length": "100"})
        await response.prepare(request)
        await response.write(b'{"a": 1')
        assert request.transport is not None
        request.transport.close()
        return response
    return web.Response(status=404)


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
