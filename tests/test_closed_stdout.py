"""A reader that closes stdout early (`graph-batch ... | head`) is no error: no traceback, the
command's own exit code, and `list --out` still writes its whole manifest. Real processes, with
stdout a real pipe whose reading end is closed before the command writes."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer

from tests.list_helpers import clean_env
from tests.process_helpers import REPO
from tests.standin import Event, Quirks, StandIn

__all__ = ["clean_env"]
pytestmark = pytest.mark.usefixtures("clean_env")


def _closed_pipe(*args: str) -> tuple[int, str]:
    """Run `python -m batch ARGS` with stdout a pipe nobody reads; its exit code and stderr."""
    process = subprocess.Popen(  # noqa: S603 - our own CLI
        [sys.executable, "-m", "batch", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=REPO,
        env={**os.environ, "GRAPH_ACCESS_TOKEN": "opaque"},
    )
    assert process.stdout is not None
    process.stdout.close()  # the reader is gone before the first byte is written
    _, err = process.communicate(timeout=60)
    return process.returncode, err.decode()


def _events() -> dict[str, Event]:
    return {f"w{n}": Event("webinar", display_name=f"Webinar {n}") for n in range(7)}


@pytest.mark.parametrize(
    "printed", [["--format", "csv"], ["--format", "json"], ["--format", "table"], []]
)
async def test_list_into_a_closed_pipe_exits_quietly(tmp_path: Path, printed: list[str]) -> None:
    """`list events ... | head`: exit 0, no traceback, also with `--format`."""
    standin = StandIn(_events(), Quirks(page_size=2))
    async with TestServer(standin.app(), host="127.0.0.1") as server:
        url = str(server.make_url("")).rstrip("/")
        code, err = await asyncio.to_thread(
            _closed_pipe, "list", "events", "--type", "webinar", *printed, "--base-url", url
        )
    assert (code, "Traceback" in err) == (0, False), err


@pytest.mark.parametrize("suffix", [".yaml", ".csv"])
async def test_list_manifest_is_written_although_stdout_closed(tmp_path: Path, suffix: str) -> None:
    """`list --op cancel --out FILE --format json | head`: exit 0 and the manifest holds every
    matching event, as with an open stdout."""
    standin = StandIn(_events(), Quirks(page_size=2))
    out = tmp_path / f"job{suffix}"
    async with TestServer(standin.app(), host="127.0.0.1") as server:
        url = str(server.make_url("")).rstrip("/")
        code, err = await asyncio.to_thread(
            _closed_pipe, "list", "events", "--type", "webinar", "--op", "cancel",
            "--out", str(out), "--force", "--format", "json", "--base-url", url,
        )  # fmt: skip
    assert (code, "Traceback" in err) == (0, False), err
    text = out.read_text(encoding="utf-8")
    assert all(f"w{n}" in text for n in range(7)), text


async def test_validate_plan_run_report_into_a_closed_pipe(tmp_path: Path) -> None:
    """validate, plan, run and report into a closed pipe: no traceback, each its own exit code
    (run still cancels the event and writes its audit log, which report then reads)."""
    standin = StandIn(_events(), Quirks(page_size=2))
    job = tmp_path / "job.csv"
    job.write_text("op,event_type,event_id\ncancel,webinar,w1\n", encoding="utf-8")
    audit = tmp_path / "audit.jsonl"
    async with TestServer(standin.app(), host="127.0.0.1") as server:
        url = str(server.make_url("")).rstrip("/")
        commands = [
            ["validate", str(job)],
            ["plan", str(job), "--base-url", url],
            ["run", str(job), "--yes", "--base-url", url, "--audit-log", str(audit)],
            ["report", str(audit)],
        ]
        results = [await asyncio.to_thread(_closed_pipe, *command) for command in commands]
    for code, err in results:
        assert (code, "Traceback" in err) == (0, False), err
    assert standin.events["w1"].status == "canceled"
