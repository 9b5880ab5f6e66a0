"""`run` against a stand-in that refuses the first writes with a long `Retry-After`: the refused
rows wait it out without holding `--concurrency` seats, so the other rows go on meanwhile,
and the requests in flight never exceed `--concurrency`."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from tests.list_helpers import clean_env, run_manifest
from tests.standin import Event, Quirks, StandIn

__all__ = ["clean_env"]
pytestmark = pytest.mark.usefixtures("clean_env")
TOKEN = "opaque-standin-token"
DELAY = 0.05
"""Seconds the server takes over every request, so requests sent together overlap."""
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class Seen:
    """One write as the server received it."""

    at: float
    """`time.monotonic()` when it arrived."""
    path: str
    status: int


@dataclass
class RefuseFirstWrites:
    """Answers the first `refuse` writes 429 with `Retry-After`; records writes and in-flight."""

    refuse: int
    retry_after: int
    writes: list[Seen] = field(default_factory=list)
    in_flight: int = 0
    most_in_flight: int = 0

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Every request takes `DELAY`; the first `refuse` writes are refused."""
        arrived = time.monotonic()
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await asyncio.sleep(DELAY)
            if request.method != "GET" and self.refuse:
                self.refuse -= 1
                body = {"error": {"code": "TooManyRequests", "message": "slow down"}}
                headers = {"Retry-After": str(self.retry_after)}
                response: web.StreamResponse = web.json_response(body, status=429, headers=headers)
            else:
                response = await handler(request)
        finally:
            self.in_flight -= 1
        if request.method != "GET":
            self.writes.append(Seen(arrived, request.path, response.status))
        return response


@asynccontextmanager
async def _serve(gate: RefuseFirstWrites, events: int) -> AsyncIterator[str]:
    world = {f"w{n}@x": Event("webinar") for n in range(events)}
    app = StandIn(world, Quirks()).app()
    app.middlewares.append(gate.middleware)
    async with TestServer(app, host="127.0.0.1") as server:
        yield str(server.make_url("")).rstrip("/")


async def _run(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    gate: RefuseFirstWrites,
    *,
    rows: int,
    concurrency: int,
) -> list[dict[str, Any]]:
    """Cancel `rows` webinars with `--concurrency`; the audit records of a run that exited 0."""
    manifest = tmp_path / "job.csv"
    lines = [f"cancel,webinar,w{n}@x" for n in range(rows)]
    manifest.write_text("op,event_type,event_id\n" + "\n".join(lines) + "\n", encoding="utf-8")
    audit = tmp_path / "audit.jsonl"
    async with _serve(gate, rows) as url:
        ran = await run_manifest(
            capsys,
            manifest,
            url,
            audit,
            "--concurrency",
            str(concurrency),
            "--write-limit",
            "100/1s",  # a pause of the whole class lasts at most half a window
        )
    assert ran.code == 0, ran.err
    return [json.loads(line) for line in audit.read_text(encoding="utf-8").splitlines()]


async def test_rows_refused_with_a_long_retry_after_do_not_hold_up_the_others(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """With every seat's row refused `Retry-After: 4`, other rows are sent and succeed before
    any refused row is re-sent, no refused row is re-sent before its `Retry-After`, and each
    ends `succeeded` with one `op.finished` and one `op.sending` per attempt."""
    monkeypatch.setenv("GRAPH_ACCESS_TOKEN", TOKEN)
    concurrency, rows = 2, 10
    gate = RefuseFirstWrites(refuse=concurrency, retry_after=4)
    records = await _run(capsys, tmp_path, gate, rows=rows, concurrency=concurrency)

    refused = [seen for seen in gate.writes if seen.status == 429]
    assert len(refused) == concurrency
    refused_paths = {seen.path for seen in refused}
    resends = [
        index
        for index, seen in enumerate(gate.writes)
        if seen.path in refused_paths and seen.status != 429
    ]
    assert len(resends) == concurrency
    before_resend = gate.writes[: resends[0]]
    others_done = [s for s in before_resend if s.path not in refused_paths and s.status < 300]
    assert len(others_done) >= concurrency, gate.writes
    for first in refused:
        again = next(s for s in gate.writes if s.path == first.path and s is not first)
        assert again.at - first.at >= gate.retry_after, (first, again)

    finished = [r for r in records if r["event"] == "op.finished"]
    assert len(finished) == rows
    assert {r["outcome"] for r in finished} == {"succeeded"}
    refused_rows = [r for r in finished if r["attempts"] == 2]
    assert len(refused_rows) == concurrency
    for row in refused_rows:
        sendings = [
            r["attempt"]
            for r in records
            if r["event"] == "op.sending" and r["row"] == row["row"] and r["purpose"] == "operation"
        ]
        assert sendings == [1, 2]
    assert records[-1]["event"] == "run.finished"


async def test_requests_in_flight_never_exceed_concurrency(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Rows giving up their seats to wait out a `Retry-After` and taking them again never put
    more than `--concurrency` requests in flight, and the seats are used to the full."""
    monkeypatch.setenv("GRAPH_ACCESS_TOKEN", TOKEN)
    concurrency, rows = 3, 24
    gate = RefuseFirstWrites(refuse=2 * concurrency, retry_after=1)
    records = await _run(capsys, tmp_path, gate, rows=rows, concurrency=concurrency)

    assert gate.most_in_flight == concurrency
    assert len(gate.writes) == rows + 2 * concurrency
    finished = [r for r in records if r["event"] == "op.finished"]
    assert [r["outcome"] for r in finished] == ["succeeded"] * rows
