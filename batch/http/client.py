"""The only module that speaks HTTP: one request in, one `GraphResponse` or `TransportError` out.

Whatever comes back (non-JSON error pages, truncated bodies, missing headers) becomes a plain
value; every aiohttp failure is mapped to `TransportError` here, so nothing above this module
knows aiohttp exists.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self

import aiohttp
from yarl import URL

from batch import __version__
from batch.errors import TransportError
from batch.http.origin import origin

USER_AGENT = f"graph-batch/{__version__}"
MAX_BODY_BYTES = 4 * 1024 * 1024
"""The largest answer read (4 MiB). Graph's answers here are kilobytes; anything bigger is a
broken or hostile server, and reading it whole would cost memory, not information."""


@dataclass(frozen=True)
class GraphResponse:
    """An HTTP answer reduced to what the runner needs; `body` is None unless it was JSON."""

    status: int
    headers: Mapping[str, str] = field(default_factory=dict)
    body: Any = None
    request_id: str | None = None

    @property
    def ok(self) -> bool:
        """True for any 2xx."""
        return 200 <= self.status < 300

    def _error(self) -> Mapping[str, Any]:
        error = self.body.get("error") if isinstance(self.body, dict) else None
        if isinstance(error, str) and error:
            return {"code": error}  # Not Graph's shape, but an error all the same.
        return error if isinstance(error, dict) else {}

    @property
    def error_code(self) -> str | None:
        """Graph's `error.code`, the field to branch on (`error-body` for an error without one)."""
        error = self._error()
        code = error.get("code")
        if code is None and error:
            return "error-body"
        return str(code) if code is not None else None

    @property
    def error_message(self) -> str | None:
        """Graph's `error.message`, for people only."""
        message = self._error().get("message")
        return str(message) if message is not None else None

    def header(self, name: str) -> str | None:
        """A header by case-insensitive name."""
        return self.headers.get(name.lower())


class GraphClient:
    """Sends single requests to one Graph base URL over a shared keep-alive session."""

    def __init__(
        self,
        base_url: str,
        api_version: str,
        *,
        request_timeout: float = 60.0,
        connections: int = 16,
    ) -> None:
        self._root = f"{base_url.rstrip('/')}/{api_version}"
        self._timeout = aiohttp.ClientTimeout(
            total=request_timeout, connect=min(15.0, request_timeout)
        )
        self._connections = connections
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Self:
        connector = aiohttp.TCPConnector(limit=self._connections, ttl_dns_cache=300)
        self._session = aiohttp.ClientSession(
            connector=connector,
            timeout=self._timeout,
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
            raise_for_status=False,
        )
        # aiohttp silently re-sends a GET or DELETE once when a reused connection drops. That
        # resend would bypass pacing and the audit log, and a DELETE may already have been
        # applied: every attempt must be ours. (No public switch exists for this yet.)
        if hasattr(self._session, "_retry_connection"):
            self._session._retry_connection = False
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def url(self, path: str) -> URL:
        """The full URL of `path`, already percent-encoded (so never re-quoted).

        `path` is relative to the API root (`/solutions/...`), or an absolute URL on the root's
        own origin (a next-page link). Any other origin is a ValueError: the bearer token is
        only ever sent to the base URL.
        """
        if path.startswith("/"):
            return URL(self._root + path, encoded=True)
        if origin(path) != origin(self._root):
            raise ValueError(f"refusing to send a request off the base URL's origin: {path}")
        return URL(path, encoded=True)

    async def send(
        self, method: str, path: str, *, token: str, client_request_id: str
    ) -> GraphResponse:
        """Send one request; raises `TransportError` when no usable answer came back."""
        if self._session is None:
            raise RuntimeError("GraphClient used outside `async with`")
        headers = {"Authorization": f"Bearer {token}", "client-request-id": client_request_id}
        if method != "GET":
            headers["Content-Length"] = "0"
        try:
            # No redirects: a followed one would be an attempt that is neither paced nor ours.
            async with self._session.request(
                method, self.url(path), headers=headers, allow_redirects=False
            ) as resp:
                raw = await _read_capped(resp)
                return _response(method, resp.status, resp.headers, raw)
        except TimeoutError as exc:
            raise TransportError("timeout", f"{method} timed out") from exc
        except aiohttp.ServerDisconnectedError as exc:
            raise TransportError("disconnected", "server closed the connection") from exc
        except aiohttp.ClientPayloadError as exc:
            raise TransportError("payload", f"truncated response: {exc}") from exc
        except aiohttp.ClientConnectionError as exc:
            raise TransportError("connection", f"connection failed: {exc}") from exc
        except (aiohttp.ClientError, asyncio.IncompleteReadError) as exc:
            raise TransportError("http", f"HTTP error: {exc}") from exc


async def _read_capped(resp: aiohttp.ClientResponse) -> bytes:
    """The body, or `TransportError("too-large")` past `MAX_BODY_BYTES` (never read whole)."""
    declared = resp.content_length
    body = bytearray()
    if declared is None or declared <= MAX_BODY_BYTES:
        async for chunk in resp.content.iter_chunked(64 * 1024):
            body += chunk
            if len(body) > MAX_BODY_BYTES:
                break
        else:
            return bytes(body)
    resp.close()  # Drop the connection rather than drain an answer nobody will read.
    limit = f"{MAX_BODY_BYTES // (1024 * 1024)} MiB"
    message = f"HTTP {resp.status} body larger than {limit}"
    raise TransportError("too-large", message, resp.status, resp.headers.get("request-id"))


def _response(
    method: str, status: int, raw_headers: Mapping[str, str], raw: bytes
) -> GraphResponse:
    headers = {name.lower(): value for name, value in raw_headers.items()}
    request_id = headers.get("request-id")
    body = _json_or_none(raw)
    success = 200 <= status < 300
    if success and method == "GET" and not isinstance(body, dict):
        # A read that succeeded without a JSON object (204, empty, broken, an array) told us
        # nothing: it is retried like any transport fault, never taken as an answer.
        kind = "invalid-json" if raw.strip() else "empty-body"
        raise TransportError(kind, f"HTTP {status} without a JSON object body", status, request_id)
    if body is None and raw.strip() and success and status != 204:
        # A write's success we cannot read is no success: it must be verified.
        message = f"HTTP {status} with an unreadable body"
        raise TransportError("invalid-json", message, status, request_id)
    return GraphResponse(status, headers, body, request_id)


def _json_or_none(raw: bytes) -> Any:
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
