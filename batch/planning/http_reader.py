"""The aiohttp implementation of `Reader`: paced, authenticated, retried GETs.

Small on purpose, for `plan` only; fold it into the runner's Graph client once that is on main.
Retried: 429/500/502/503/504 (honouring `Retry-After`, clamped) and transport failures, at most
`max_attempts` times. A 401 gets one fresh token and one more try. Paths arrive already
percent-encoded and go out as they are (`URL(..., encoded=True)`), never re-quoted.
"""

from __future__ import annotations

import asyncio
import json
import math
import random
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from ipaddress import ip_address
from types import TracebackType
from typing import Any, Self
from urllib.parse import urlsplit

import aiohttp
from yarl import URL

from batch import __version__
from batch.auth.base import TokenSource
from batch.errors import UsageError
from batch.planning.reader import ReadResult
from batch.planning.window import Clock, SlidingWindow

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
"""Graph's transient answers, plus 500/502 front-end blips: a GET is always safe to repeat."""


@dataclass(frozen=True)
class ReadPolicy:
    """How hard one GET is tried before its row is classified `error`."""

    max_attempts: int = 5
    backoff_base: float = 1.0
    backoff_cap: float = 30.0
    max_retry_after: float = 120.0
    timeout: float = 60.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1 or self.backoff_base <= 0 or self.max_retry_after <= 0:
            raise ValueError("need max_attempts >= 1, backoff_base > 0, max_retry_after > 0")


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds from `Retry-After` (integer, fractional or HTTP date); None when unreadable."""
    if value is None or not value.strip():
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        when = when if when.tzinfo else when.replace(tzinfo=UTC)
        return max(0.0, (when - now).total_seconds())
    return max(0.0, seconds) if math.isfinite(seconds) else None


def check_base_url(base_url: str) -> str:
    """`base_url` without a trailing slash; UsageError for plain http to a non-loopback host."""
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"base URL {base_url!r} is not an http(s) URL")
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise UsageError(
            f"refusing plain-http base URL {base_url}: a bearer token would travel unencrypted "
            "(http is allowed for localhost only)"
        )
    return base_url.rstrip("/")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False


def _retryable(result: ReadResult) -> bool:
    if result.status is None or result.status in RETRY_STATUSES:
        return True
    # A success we cannot read is a transient fault (a cut-off body), not an answer.
    return result.status == 200 and result.error_code == "invalid-json"


def _error_code(body: Any) -> str | None:
    error = body.get("error") if isinstance(body, dict) else None
    code = error.get("code") if isinstance(error, dict) else None
    return str(code) if code is not None else None


class HttpReader:
    """`Reader` over one shared aiohttp session; use as `async with HttpReader(...) as r:`."""

    def __init__(
        self,
        root: str,
        tokens: TokenSource,
        window: SlidingWindow,
        clock: Clock,
        policy: ReadPolicy = ReadPolicy(),
    ) -> None:
        self._root = root.rstrip("/")
        self._tokens = tokens
        self._window = window
        self._clock = clock
        self._policy = policy
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Self:
        self._session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=self._policy.timeout),
            headers={"User-Agent": f"graph-batch/{__version__}", "Accept": "application/json"},
        )
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

    async def get(self, path: str) -> ReadResult:
        """GET `path` under the API root, retrying what is worth retrying."""
        refresh = refreshed = False
        result = ReadResult(None, error_code="not-sent")
        for attempt in range(1, self._policy.max_attempts + 1):
            token = await self._tokens.get_token(force_refresh=refresh)
            refresh = False
            result, retry_after = await self._once(path, token.token)
            if result.status == 401 and not refreshed:
                refresh = refreshed = True  # one fresh token, in case this one just expired
                continue
            if attempt == self._policy.max_attempts or not _retryable(result):
                return result
            await self._wait(attempt, retry_after, throttled=result.status in (429, 503))
        return result

    async def _wait(self, attempt: int, retry_after: float | None, *, throttled: bool) -> None:
        if retry_after is not None:
            wait = min(retry_after, self._policy.max_retry_after)
            if throttled:
                self._window.pause_for(wait)
        else:
            cap = min(self._policy.backoff_cap, self._policy.backoff_base * 2 ** (attempt - 1))
            wait = random.uniform(0, cap)  # noqa: S311 - jitter, not cryptography.
        await self._clock.sleep(wait)

    async def _once(self, path: str, token: str) -> tuple[ReadResult, float | None]:
        if self._session is None:
            raise RuntimeError("HttpReader used outside `async with`")
        await self._window.acquire()
        headers = {"Authorization": f"Bearer {token}", "client-request-id": str(uuid.uuid4())}
        url = URL(self._root + path, encoded=True)
        try:
            async with self._session.get(url, headers=headers, allow_redirects=False) as resp:
                raw = await resp.read()
                retry_after = parse_retry_after(resp.headers.get("Retry-After"), datetime.now(UTC))
                return _result(resp.status, raw, resp.headers.get("request-id")), retry_after
        except TimeoutError:
            return ReadResult(None, error_code="timeout"), None
        except aiohttp.ClientPayloadError:
            return ReadResult(None, error_code="truncated"), None
        except (aiohttp.ClientError, asyncio.IncompleteReadError):
            return ReadResult(None, error_code="connection"), None


def _result(status: int, raw: bytes, request_id: str | None) -> ReadResult:
    try:
        body = json.loads(raw) if raw.strip() else None
    except (UnicodeDecodeError, json.JSONDecodeError):
        return ReadResult(status, None, "invalid-json", request_id)
    if not isinstance(body, dict):
        return ReadResult(status, None, "invalid-json" if body is not None else None, request_id)
    return ReadResult(status, body, _error_code(body), request_id)
