"""`list` then `run` against the stand-in whose first requests are all answered 429 (another
app holding the budget at that moment): both finish with the expected number of requests and
a pace near the ceiling, not one request per window."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from tests.list_helpers import clean_env, cli, run_manifest
from tests.standin import Event, Quirks, StandIn

__all__ = ["clean_env"]
pytestmark = pytest.mark.usefixtures("clean_env")
TOKEN = "opaque-standin-token"
REFUSED = 2
"""Requests refused at the start of each command."""
READ_FLOOR = 750 * 0.1 / 30
"""A tenth of the default read ceiling (750/30s), requests per second."""
PACE = re.compile(r"pace\.changed .*after=(\d+)/")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class FirstRefused:
    """Answers the next `refuse` requests 429 before the stand-in sees them; counts the rest."""

    def __init__(self, retry_after: str | None) -> None:
        self.retry_after = retry_after
        self.refuse = 0
        self.refused = 0
        self.passed = 0

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """429 while `refuse` lasts, else the stand-in's answer."""
        if self.refuse:
            self.refuse -= 1
            self.refused += 1
            headers = {} if self.retry_after is None else {"Retry-After": self.retry_after}
            body = {"error": {"code": "TooManyRequests", "message": "budget in use"}}
            return web.json_response(body, status=429, headers=headers)
        self.passed += 1
        return await handler(request)


def _least_pace(stderr: str) -> int:
    """The lowest pace (requests per window) any `pace.changed` diagnostic set."""
    paces = [int(match) for match in PACE.findall(stderr)]
    assert paces, "no pace.changed diagnostic: the 429s were not seen"
    return min(paces)


@asynccontextmanager
async def _serve(gate: FirstRefused) -> AsyncIterator[str]:
    events = {
        f"w{n}@x": Event("webinar", display_name=f"Winter {n}", start="2026-12-18T09:00Z")
        for n in range(7)
    }
    app = StandIn(events, Quirks(page_size=2)).app()
    app.middlewares.append(gate.middleware)
    async with TestServer(app, host="127.0.0.1") as server:
        yield str(server.make_url("")).rstrip("/")


@pytest.mark.parametrize("retry_after", ["1", None])
async def test_first_requests_throttled_then_list_and_run_finish_at_pace(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    retry_after: str | None,
) -> None:
    """A listing of 5 pages sends 5 requests after the refused ones; the run then cancels
    all 7 events, and its settled read rate stays at or above a tenth of the ceiling (the
    defect learned "0 admitted" and settled at 1 per 30 s)."""
    monkeypatch.setenv("GRAPH_ACCESS_TOKEN", TOKEN)
    monkeypatch.setenv("GRAPH_BATCH_LOG_LEVEL", "info")
    gate = FirstRefused(retry_after)
    out = tmp_path / "job.csv"
    async with _serve(gate) as url:
        gate.refuse = REFUSED
        listed = await cli(
            capsys, "list", "events", "--op", "cancel", "--out", str(out), "--base-url", url
        )
        assert listed.code == 0, listed.err
        assert "5 pages, 7 items, 7 matched" in listed.err
        assert (gate.refused, gate.passed) == (REFUSED, 5)
        assert _least_pace(listed.err) >= 75
        gate.refuse, gate.passed = REFUSED, 0
        audit = tmp_path / "audit.jsonl"
        ran = await run_manifest(capsys, out, url, audit)
        assert ran.code == 0, ran.err
        assert _least_pace(ran.err) >= 75
    assert gate.refused == 2 * REFUSED
    records = [json.loads(line) for line in audit.read_text().splitlines()]
    finished = next(r for r in records if r.get("event") == "run.finished")
    assert finished["settled_rate"]["read"] >= READ_FLOOR
    assert finished["settled_rate"]["write"] > 0
