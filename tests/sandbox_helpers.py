"""Shared helpers for sandbox tests: a fake clock, the default world's ids, a tiny HTTP caller."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from yarl import URL

from batch.sandbox import Sandbox

DEFAULT_WORLD = Path(__file__).resolve().parent.parent / "jobs" / "sandbox-world.yaml"
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
WEBINAR = f"5d8a0b2e-7c1f-4f8e-9a43-1b2c3d4e5f60@{TENANT}"
WEBINAR_2 = f"6e9b1c3f-8d2a-4a9f-8b54-2c3d4e5f6071@{TENANT}"
CANCELED_WEBINAR = f"7fac2d40-9e3b-4b0a-9c65-3d4e5f607182@{TENANT}"
TOWNHALL = f"80bd3e51-af4c-4c1b-8d76-4e5f60718293@{TENANT}"
SESSION_1 = "s1@5d8a0b2e-7c1f-4f8e-9a43-1b2c3d4e5f60"
SESSION_2 = "s2+q&a/part@5d8a0b2e-7c1f-4f8e-9a43-1b2c3d4e5f60"
REG_ADELE = f"r-0001@{TENANT}"
REG_CONOR = f"r-0002@{TENANT}"
CONOR_EMAIL = "Conor.O'Neil@contoso.com"
REG_LEE = f"r-0004@{TENANT}"


@dataclass
class FakeClock:
    """A monotonic clock that only moves when a test says so."""

    now: float = 1000.0

    def monotonic(self) -> float:
        """The current fake time."""
        return self.now

    def advance(self, seconds: float) -> None:
        """Move time forward."""
        self.now += seconds


@dataclass(frozen=True)
class Reply:
    """What a test needs from a response, read before the connection is released."""

    status: int
    headers: dict[str, str]
    json: Any


async def call(
    http: aiohttp.ClientSession,
    sandbox: Sandbox,
    method: str,
    path: str,
    *,
    token: str | None = "",
    version: str = "v1.0",
    json_body: Any = None,
    headers: dict[str, str] | None = None,
) -> Reply:
    """Send one request (path relative to the version root, already encoded) and read it all.

    `token=""` means the sandbox's organizer token, None means no Authorization header.
    """
    sent = dict(headers or {})
    bearer = sandbox.token if token == "" else token
    if bearer is not None:
        sent["Authorization"] = f"Bearer {bearer}"
    url = f"{sandbox.base_url}/{version}{path}"
    async with http.request(
        method, URL(url, encoded=True), json=json_body, headers=sent
    ) as response:
        text = await response.text()
        body: Any = None
        if text:
            try:
                body = await response.json(content_type=None)
            except ValueError:
                body = text
        return Reply(response.status, {k.lower(): v for k, v in response.headers.items()}, body)


@dataclass
class TickingClock(FakeClock):
    """A fake clock that moves `step` seconds each time the sandbox reads it.

    The sandbox reads its clock a few times per request, so its time passes with the traffic:
    a run of a few dozen requests spans minutes of sandbox time without any real waiting.
    """

    step: float = 1.0

    def monotonic(self) -> float:
        """The current fake time, then one step on."""
        now = self.now
        self.now += self.step
        return now

    def wall(self, sandbox: Sandbox) -> Callable[[], float]:
        """Epoch seconds as `sandbox` sees them, read without moving the clock."""
        before = self.now
        offset = sandbox.engine.wall_now().timestamp() - before
        return lambda: offset + self.now
