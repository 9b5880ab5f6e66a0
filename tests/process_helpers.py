"""graph-batch as real processes: the sandbox and the runner started with `python -m batch`.

For the tests that only real processes can make honest: `kill -9` mid-run, two runs racing
for one lock, the exact bytes a run leaves on stderr. Progress is awaited by polling the audit
log with a bounded timeout, never by sleeping blindly.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from batch.cli.sandbox_cmd import banner_field
from batch.rehearsal import write_yaml_job
from batch.sandbox import Stats
from batch.sandbox.generate import generate_world

REPO = Path(__file__).resolve().parent.parent
POLL_SECONDS = 0.02
WAIT_TIMEOUT = 20.0
RUN_TIMEOUT = 60.0


async def start_cli(
    *args: str,
    env: dict[str, str] | None = None,
    stderr: int | None = asyncio.subprocess.PIPE,
    cwd: Path = REPO,
) -> asyncio.subprocess.Process:
    """Start `python -m batch ARGS` (from the repository root by default), output piped."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "batch",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=stderr,
        cwd=cwd,
        env={**os.environ, **(env or {})},
    )


async def read_banner(process: asyncio.subprocess.Process) -> dict[str, str]:
    """Read a sandbox's stdout up to its token line; returns its base URL and token."""
    assert process.stdout is not None
    found: dict[str, str] = {}
    while "token" not in found:
        line = (await asyncio.wait_for(process.stdout.readline(), timeout=20)).decode()
        assert line, "sandbox exited before printing its banner"
        if field := banner_field(line):
            found[field[0]] = field[1]
    return found


@dataclass(frozen=True)
class Rehearsal:
    """A generated world file and a YAML job of rows valid against it."""

    world: Path
    job: Path
    rows: list[dict[str, str]]


def write_rehearsal(
    directory: Path, n: int, *, seed: int = 0, settings: dict[str, object] | None = None
) -> Rehearsal:
    """Generate a world and N rows into `directory` (world.yaml, job.yaml)."""
    world, rows = generate_world(n, seed)
    world_file = directory / "world.yaml"
    world_file.write_text(world.dump_yaml(), encoding="utf-8")
    job = write_yaml_job(rows, directory / "job.yaml", settings)
    return Rehearsal(world_file, job, rows)


@dataclass(frozen=True)
class SandboxProcess:
    """A sandbox serving from a child process: where it listens, its token, its counters."""

    url: str
    token: str

    async def _get(self, path: str) -> Any:
        async with aiohttp.ClientSession() as http, http.get(self.url + path) as answer:
            assert answer.status == 200, f"GET {path}: {answer.status}"
            return await answer.json()

    async def stats(self) -> Stats:
        """`GET /_sandbox/stats`."""
        return Stats.model_validate(await self._get("/_sandbox/stats"))

    async def state(self) -> dict[str, Any]:
        """`GET /_sandbox/state`: the current world."""
        state: dict[str, Any] = await self._get("/_sandbox/state")
        return state


@asynccontextmanager
async def sandbox_process(world: Path, *args: str) -> AsyncIterator[SandboxProcess]:
    """Serve `world` from `python -m batch sandbox` on a free port until the block exits."""
    process = await start_cli(
        "sandbox", "--world", str(world), "--port", "0", *args, stderr=asyncio.subprocess.DEVNULL
    )
    try:
        banner = await read_banner(process)
        yield SandboxProcess(banner["url"], banner["token"])
    finally:
        if process.returncode is None:
            process.terminate()
            await asyncio.wait_for(process.wait(), timeout=20)


@dataclass(frozen=True)
class Finished:
    """A finished CLI process: exit code and what it printed."""

    code: int
    out: str
    err: str


async def finish(process: asyncio.subprocess.Process) -> Finished:
    """Wait (at most RUN_TIMEOUT s) for `process` to exit and collect its output."""
    out, err = await asyncio.wait_for(process.communicate(), timeout=RUN_TIMEOUT)
    assert process.returncode is not None
    return Finished(process.returncode, (out or b"").decode(), (err or b"").decode())


async def run_cli(*args: str, env: dict[str, str] | None = None, cwd: Path = REPO) -> Finished:
    """Run `python -m batch ARGS` to completion."""
    return await finish(await start_cli(*args, env=env, cwd=cwd))


def read_records(path: Path) -> list[dict[str, Any]]:
    """The audit log's JSON records, skipping unreadable lines (a kill may cut the last one)."""
    if not path.exists():
        return []
    records = []
    for line in path.read_bytes().splitlines():
        try:
            records.append(json.loads(line))
        except ValueError:
            continue
    return records


def finished_rows(records: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The `op.finished` records."""
    return [record for record in records if record["event"] == "op.finished"]


async def wait_for_records(
    path: Path,
    enough: Callable[[list[dict[str, Any]]], bool],
    *,
    process: asyncio.subprocess.Process | None = None,
) -> list[dict[str, Any]]:
    """Poll the log until `enough(records)`; fails after WAIT_TIMEOUT s or when `process` ends."""
    loop = asyncio.get_running_loop()
    give_up = loop.time() + WAIT_TIMEOUT
    while True:
        records = read_records(path)
        if enough(records):
            return records
        assert process is None or process.returncode is None, "the run ended too early"
        assert loop.time() < give_up, f"{path.name}: condition not met within {WAIT_TIMEOUT}s"
        await asyncio.sleep(POLL_SECONDS)
