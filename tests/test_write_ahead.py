"""Write-ahead: a write the server applied but never answered is sent exactly once, however the
run is stopped (Ctrl-C twice, SIGTERM, the deadline, `kill -9`) and then `--resume`d.

The stand-in applies `POST .../webinars/ev1/cancel` and then holds the answer for an hour. The
real CLI runs as a process; the `op.sending` record in its audit log is the proof the request
left, and the stand-in's own count of POSTs is the judge.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestServer

from batch.cli import main
from batch.exit_codes import ExitCode
from batch.run.workers import UNANSWERED_MESSAGE
from tests.process_helpers import finish, finished_rows, read_records, start_cli, wait_for_records
from tests.standin import Event, Quirks, StandIn

TOKEN = "opaque-write-ahead-token"
KEY = "cancel:ev1"
Records = list[dict[str, Any]]
Process = asyncio.subprocess.Process


@asynccontextmanager
async def _hanging_server() -> AsyncIterator[tuple[StandIn, str]]:
    """A stand-in whose first write to each target is applied and then never answered."""
    standin = StandIn(
        {"ev1": Event("webinar"), "ev2": Event("webinar")},
        Quirks(write_faults=("slow",), slow_seconds=3600),
    )
    async with TestServer(standin.app(), host="127.0.0.1", shutdown_timeout=0.1) as server:
        yield standin, str(server.make_url("")).rstrip("/")


def _cancel_sent(records: Records) -> bool:
    return any(
        r["event"] == "op.sending" and r["method"] == "POST" and r["path"].endswith("ev1/cancel")
        for r in records
    )


SECOND_SIGNAL_AFTER = 0.5
"""Seconds between two signals: the OS merges a signal sent while the same one is pending,
and a user's second Ctrl-C comes well after the first. (Pacing only; nothing is timed.)"""


async def _signal_twice(process: Process, sig: signal.Signals) -> None:
    process.send_signal(sig)
    await asyncio.sleep(SECOND_SIGNAL_AFTER)
    process.send_signal(sig)


async def _signal_once(process: Process, sig: signal.Signals) -> None:
    process.send_signal(sig)


async def _nothing(_process: Process) -> None:
    """The deadline stops the run by itself."""


async def _kill(process: Process) -> None:
    process.kill()


Stop = tuple[Callable[[Process], Awaitable[None]], tuple[str, ...], int, ExitCode]
STOPS: dict[str, Stop] = {
    # name: (how the run is stopped, extra flags, its exit code, `report`'s exit code on it)
    "ctrl-c-twice": (
        lambda p: _signal_twice(p, signal.SIGINT),
        (),
        ExitCode.INTERRUPTED,
        ExitCode.FAILED,
    ),
    "sigterm-twice": (
        lambda p: _signal_twice(p, signal.SIGTERM),
        (),
        ExitCode.INTERRUPTED,
        ExitCode.FAILED,
    ),
    "sigterm-after-grace": (
        lambda p: _signal_once(p, signal.SIGTERM),
        (),
        ExitCode.INTERRUPTED,
        ExitCode.FAILED,
    ),
    "deadline": (_nothing, ("--deadline", "1"), ExitCode.FAILED, ExitCode.FAILED),
    "kill-9": (_kill, (), -signal.SIGKILL, ExitCode.UNFINISHED),
}


def _report_codes(audit: Path, capsys: pytest.CaptureFixture[str]) -> set[int]:
    """`graph-batch report`'s exit codes on the log, in every format."""
    codes = {main(["report", str(audit), "--format", form]) for form in ("table", "json", "junit")}
    capsys.readouterr()
    return codes


SLOW = {"sigterm-after-grace", "deadline"}
"""Stops that wait out the 10 s grace in-flight rows get."""


@pytest.mark.parametrize(
    "stop",
    [pytest.param(name, marks=(pytest.mark.slow,) if name in SLOW else ()) for name in STOPS],
)
async def test_unanswered_write_is_read_back_not_resent(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], stop: str
) -> None:
    """The first run logs the POST before it leaves; the resumed run reads ev1 back, finds it
    canceled and records `already_done`: the server saw exactly one POST for ev1. `report`
    fails a CI gate on the stopped run (5 when it never finished) and passes the resumed one."""
    how, flags, first_code, report_code = STOPS[stop]
    manifest = tmp_path / "m.csv"
    manifest.write_text("op,event_id\ncancel,ev1\n", encoding="utf-8")
    audit = tmp_path / "audit.jsonl"
    env = {"GRAPH_ACCESS_TOKEN": TOKEN, "GRAPH_BATCH_STATE_DIR": str(tmp_path / "state")}
    async with _hanging_server() as (standin, url):
        args = ["run", str(manifest), "--yes", "--quiet", "--audit-log", str(audit)]
        args += ["--base-url", url]
        first = await start_cli(*args, *flags, env=env)
        await wait_for_records(audit, _cancel_sent, process=first)
        await how(first)
        stopped = await finish(first)
        assert stopped.code == first_code, stopped.err
        assert "Traceback" not in stopped.err
        assert standin.records.writes[KEY] == 1
        if stop != "kill-9":
            (row,) = finished_rows(read_records(audit))
            assert (row["outcome"], row["attempts"]) == ("failed", 1)
            assert row["error_message"] == UNANSWERED_MESSAGE
        assert _report_codes(audit, capsys) == {report_code}

        resumed = await finish(await start_cli(*args, "--resume", env=env))
        assert resumed.code == ExitCode.OK, resumed.err
        assert standin.records.writes[KEY] == 1
        assert standin.events["ev1"].status == "canceled"
    assert _report_codes(audit, capsys) == {ExitCode.OK}
    records = read_records(audit)
    last = finished_rows(records)[-1]
    assert (last["outcome"], last["reason"]) == ("already_done", "verified")
    resumed_sends = [
        (r["method"], r["purpose"])
        for r in records
        if r["event"] == "op.sending" and r["run_id"] == last["run_id"]
    ]
    assert ("GET", "verify") in resumed_sends
    assert ("POST", "operation") not in resumed_sends
