"""Ctrl-C before the first row (during sign-in or pre-flight) still leaves a complete audit log:
every row `skipped` with reason `not-run`, then `run.finished`, the summary and exit 130; and
`plan` interrupted while it reads exits 130 without leaving a plan behind."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from batch.auth.base import AccessToken
from batch.exit_codes import ExitCode
from batch.rehearsal import write_yaml_job
from batch.sandbox import generate_world
from tests.nonposix import nonposix_env, posix_signals
from tests.process_helpers import finish, start_cli
from tests.run_helpers import RunResult, run

_, ROWS = generate_world(12, seed=5)


@dataclass
class SignInThatHangs:
    """A token source whose sign-in never completes (a device code nobody enters)."""

    asked: asyncio.Event = field(default_factory=asyncio.Event)
    closed: bool = False

    async def get_token(
        self, *, claims: str | None = None, force_refresh: bool = False
    ) -> AccessToken:
        """Wait forever, after saying sign-in has begun."""
        self.asked.set()
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    async def close(self) -> None:
        """Remember that the run released it."""
        self.closed = True


@pytest.fixture
async def silent_graph() -> AsyncIterator[tuple[str, asyncio.Event]]:
    """A Graph stand-in that takes every request and never answers; the event says one came."""
    seen = asyncio.Event()

    async def never_answer(request: web.Request) -> web.Response:
        seen.set()
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", never_answer)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield str(server.make_url("")).rstrip("/"), seen
    finally:
        await server.close()


async def _interrupt_when(happened: asyncio.Event) -> None:
    await asyncio.wait_for(happened.wait(), timeout=20)
    signal.raise_signal(signal.SIGINT)  # as a Ctrl-C at the console would, on any platform


def _assert_every_row_not_run(result: RunResult) -> None:
    assert result.code == ExitCode.INTERRUPTED, result.err
    finished = result.events("op.finished")
    assert len({record["row"] for record in finished}) == len(finished) == len(ROWS)
    assert {(r["outcome"], r["reason"]) for r in finished} == {("skipped", "not-run")}
    assert all(record["attempts"] == 0 for record in finished)
    (last,) = result.events("run.finished")
    assert result.audit[-1] == last
    assert (last["interrupted"], last["exit_code"]) == (True, ExitCode.INTERRUPTED)
    assert "interrupted" in result.err


async def test_ctrl_c_during_sign_in(tmp_path: Path) -> None:
    """Ctrl-C while signing in: nothing is sent, and every row is recorded as not run."""
    source = SignInThatHangs()
    killer = asyncio.create_task(_interrupt_when(source.asked))
    # Port 9 (discard) is never reached: nothing may be sent before a token is at hand.
    result = await run(ROWS, tmp_path, "http://127.0.0.1:9", source)
    await killer
    _assert_every_row_not_run(result)
    assert source.closed


async def test_ctrl_c_during_preflight(
    tmp_path: Path, silent_graph: tuple[str, asyncio.Event]
) -> None:
    """Ctrl-C while the pre-flight GET waits for Graph: every row is recorded as not run."""
    base_url, seen = silent_graph
    killer = asyncio.create_task(_interrupt_when(seen))
    result = await run(ROWS, tmp_path, base_url, "opaque-token")
    await killer
    _assert_every_row_not_run(result)


@posix_signals
@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
async def test_plan_interrupted_while_reading(
    tmp_path: Path, silent_graph: tuple[str, asyncio.Event], stop: signal.Signals
) -> None:
    """plan stopped by Ctrl-C or SIGTERM mid-read (without loop signal handlers): exit 130,
    one line, no plan file or temporary left."""
    base_url, seen = silent_graph
    job = write_yaml_job(ROWS, tmp_path / "job.yaml")
    plan = await start_cli(
        *("plan", str(job), "--base-url", base_url, "--out", str(tmp_path / "plan.json")),
        env={"GRAPH_ACCESS_TOKEN": "opaque-token", **nonposix_env(tmp_path / "sim")},
        cwd=tmp_path,
    )
    await asyncio.wait_for(seen.wait(), timeout=20)
    plan.send_signal(stop)
    result = await finish(plan)
    assert result.code == ExitCode.INTERRUPTED, result.err
    assert result.err.strip() == "graph-batch: interrupted"
    assert sorted(await asyncio.to_thread(os.listdir, tmp_path)) == ["job.yaml", "sim"]
