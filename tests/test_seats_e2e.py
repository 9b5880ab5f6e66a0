"""`run` and `plan` against a stand-in that refuses the first writes (reads) with a long
`Retry-After`: the refused rows wait it out without holding `--concurrency` seats, so the
other rows go on meanwhile, and the requests in flight never exceed `--concurrency`."""

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

from tests.list_helpers import clean_env, cli, run_manifest
from tests.standin import Event, Quirks, StandIn

__all__ = ["clean_env"]
pytestmark = pytest.mark.usefixtures("clean_env")
TOKEN = "opaque-standin-token"
DELAY = 0.05
"""Seconds the server takes over every request, so requests sent together overlap."""
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class Seen:
    """One request of the refused kind as the server received it."""

    at: float
    """`time.monotonic()` when it arrived."""
    path: str
    status: int


@dataclass
class RefuseFirstWrites:
    """Answers the first `refuse` writes (reads with `reads`) after `admit` of them 429 with
    `Retry-After`; records those requests and the most in flight."""

    refuse: int
    retry_after: int
    reads: bool = False
    admit: int = 0
    seen: list[Seen] = field(default_factory=list)
    in_flight: int = 0
    most_in_flight: int = 0

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Every request takes `DELAY`; the first `refuse` of the kind after `admit` are refused."""
        arrived = time.monotonic()
        watched = (request.method == "GET") == self.reads
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await asyncio.sleep(DELAY)
            if watched and self.admit:
                self.admit -= 1
                response: web.StreamResponse = await handler(request)
            elif watched and self.refuse:
                self.refuse -= 1
                body = {"error": {"code": "TooManyRequests", "message": "slow down"}}
                headers = {"Retry-After": str(self.retry_after)}
                response = web.json_response(body, status=429, headers=headers)
            else:
                response = await handler(request)
        finally:
            self.in_flight -= 1
        if watched:
            self.seen.append(Seen(arrived, request.path, response.status))
        return response


@asynccontextmanager
async def _serve(gate: RefuseFirstWrites, events: int) -> AsyncIterator[str]:
    world = {f"w{n}@x": Event("webinar") for n in range(events)}
    app = StandIn(world, Quirks()).app()
    app.middlewares.append(gate.middleware)
    async with TestServer(app, host="127.0.0.1") as server:
        yield str(server.make_url("")).rstrip("/")


def _manifest(tmp_path: Path, rows: int) -> Path:
    """A CSV job cancelling webinars `w0@x` ... (one per row)."""
    manifest = tmp_path / "job.csv"
    lines = [f"cancel,webinar,w{n}@x" for n in range(rows)]
    manifest.write_text("op,event_type,event_id\n" + "\n".join(lines) + "\n", encoding="utf-8")
    return manifest


def _others_before_resend(gate: RefuseFirstWrites) -> list[Seen]:
    """Requests of other rows answered 2xx before the first refused row was sent again."""
    refused = {seen.path for seen in gate.seen if seen.status == 429}
    resent = next(i for i, s in enumerate(gate.seen) if s.path in refused and s.status != 429)
    return [s for s in gate.seen[:resent] if s.path not in refused and s.status < 300]


async def _run(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    gate: RefuseFirstWrites,
    *,
    rows: int,
    concurrency: int,
) -> list[dict[str, Any]]:
    """Cancel `rows` webinars with `--concurrency`; the audit records of a run that exited 0."""
    manifest = _manifest(tmp_path, rows)
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

    refused = [seen for seen in gate.seen if seen.status == 429]
    assert len(refused) == concurrency
    assert len(_others_before_resend(gate)) >= concurrency, gate.seen
    for first in refused:
        again = next(s for s in gate.seen if s.path == first.path and s is not first)
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
    assert len(gate.seen) == rows + 2 * concurrency
    finished = [r for r in records if r["event"] == "op.finished"]
    assert [r["outcome"] for r in finished] == ["succeeded"] * rows


async def test_plan_reads_refused_with_a_long_retry_after_do_not_hold_up_the_others(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """`plan --concurrency 1`: a read refused `Retry-After: 3` gives its seat up, so the other
    rows' reads are answered before it is sent again, not before its `Retry-After`."""
    monkeypatch.setenv("GRAPH_ACCESS_TOKEN", TOKEN)
    rows = 6
    # The first row is read alone (a refused token stops the plan there): refuse the second.
    gate = RefuseFirstWrites(refuse=1, retry_after=3, reads=True, admit=1)
    out = tmp_path / "plan.csv"
    async with _serve(gate, rows) as url:
        planned = await cli(
            capsys,
            "plan",
            str(_manifest(tmp_path, rows)),
            "--base-url",
            url,
            "--out",
            str(out),
            "--concurrency",
            "1",
        )
    assert planned.code == 0, planned.err
    assert len(_others_before_resend(gate)) >= 2, gate.seen
    first = next(s for s in gate.seen if s.status == 429)
    again = next(s for s in gate.seen if s.path == first.path and s is not first)
    assert again.at - first.at >= gate.retry_after, (first, again)
    assert len(gate.seen) == rows + 1
