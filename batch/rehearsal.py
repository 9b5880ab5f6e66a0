"""Rehearsing a run against the sandbox: a YAML job from generated rows, the sandbox on its own
thread, and a check that the sandbox ended in exactly the state the rows asked for.

Shared by `make demo`, `make bench` and the end-to-end tests. The bench measures against
`graph-batch sandbox` in a process of its own, so the runner has its core to itself.
"""

from __future__ import annotations

import asyncio
import json
import logging
import subprocess
import sys
import tempfile
import threading
import urllib.request
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from batch.cli.sandbox_cmd import banner_field
from batch.files.private import write_private
from batch.sandbox import Sandbox, SandboxConfig, Stats, World, serve


def write_yaml_job(
    rows: Iterable[Mapping[str, str]], path: Path, settings: Mapping[str, object] | None = None
) -> Path:
    """Write `rows` (manifest column dicts) as a YAML job, with an optional `settings:` block."""
    job: dict[str, Any] = {"version": 1}
    if settings:
        job["settings"] = dict(settings)
    job["operations"] = [{k: v for k, v in row.items() if v} for row in rows]
    write_private(path, yaml.safe_dump(job, sort_keys=False, allow_unicode=True))
    return path


@contextmanager
def sandbox_in_thread(world: World, config: SandboxConfig) -> Iterator[Sandbox]:
    """Serve the sandbox on 127.0.0.1 from a background thread, so a blocking CLI can call it."""
    # The sandbox's injected dropped connections would each print aiohttp's server traceback.
    logging.getLogger("aiohttp.server").setLevel(logging.CRITICAL)
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    holder: list[Sandbox] = []
    stop = asyncio.Event()

    async def serve_until_stopped() -> None:
        async with serve(world, config) as sandbox:
            holder.append(sandbox)
            ready.set()
            await stop.wait()

    thread = threading.Thread(
        target=loop.run_until_complete, args=(serve_until_stopped(),), daemon=True
    )
    thread.start()
    ready.wait(timeout=30)
    if not holder:
        raise RuntimeError("the sandbox did not start")
    try:
        yield holder[0]
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(timeout=30)
        loop.close()


@dataclass(frozen=True)
class RemoteSandbox:
    """A sandbox in another process: where it listens, its token, and its control endpoints."""

    base_url: str
    token: str

    def _get(self, path: str) -> Any:
        with urllib.request.urlopen(self.base_url + path, timeout=30) as answer:  # noqa: S310
            return json.load(answer)

    def set_limits(self, **limits: str) -> None:
        """Change the enforced limits mid-run, e.g. `set_limits(write_limit="50/5s")`."""
        request = urllib.request.Request(  # noqa: S310 - the loopback URL we started.
            self.base_url + "/_sandbox/limits", data=json.dumps(limits).encode(), method="POST"
        )
        with urllib.request.urlopen(request, timeout=30):  # noqa: S310
            pass

    def stats(self) -> Stats:
        """The sandbox's counters."""
        return Stats.model_validate(self._get("/_sandbox/stats"))

    def state(self) -> dict[str, Any]:
        """The sandbox's current world."""
        state: dict[str, Any] = self._get("/_sandbox/state")
        return state


@contextmanager
def sandbox_in_subprocess(world: World, *flags: str) -> Iterator[RemoteSandbox]:
    """Serve `world` with `graph-batch sandbox FLAGS` in a child process until the block exits."""
    with tempfile.TemporaryDirectory() as tmp:
        world_file = Path(tmp) / "world.yaml"
        write_private(world_file, world.dump_yaml())
        command = [sys.executable, "-m", "batch", "sandbox", "--world", str(world_file)]
        with subprocess.Popen(  # noqa: S603 - our own interpreter and arguments.
            [*command, "--port", "0", *flags],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        ) as child:
            try:
                assert child.stdout is not None  # noqa: S101 - stdout=PIPE above.
                found: dict[str, str] = {}
                while "token" not in found and (line := child.stdout.readline()):
                    if field := banner_field(line):
                        found[field[0]] = field[1]
                if "token" not in found:
                    raise RuntimeError("the sandbox exited before printing its URL and token")
                yield RemoteSandbox(found["url"], found["token"])
            finally:
                child.terminate()


def state_problems(state: Mapping[str, Any], rows: Iterable[Mapping[str, str]]) -> list[str]:
    """Every way the sandbox's final state differs from what the rows asked for."""
    problems = []
    for number, row in enumerate(rows, start=1):
        problem = _row_problem(state, row)
        if problem:
            problems.append(f"row {number} ({row.get('op')}): {problem}")
    return problems


def _row_problem(state: Mapping[str, Any], row: Mapping[str, str]) -> str | None:
    collection = f"{row.get('event_type') or 'webinar'}s"
    event = state.get(collection, {}).get(row["event_id"])
    if event is None:
        return "event not in the sandbox"
    op = row["op"]
    if op == "cancel":
        return None if event["status"] == "canceled" else f"event is {event['status']}"
    if op == "get-session":
        return None
    registration = _registration(event, row)
    if registration is None:
        return "registration not in the sandbox"
    if op == "cancel-registration":
        status = registration["status"]
        return None if status == "canceled" else f"registration is {status}"
    still_there = row["session_id"] in registration["sessions"]
    return "session still on the registration" if still_there else None


def _registration(event: Mapping[str, Any], row: Mapping[str, str]) -> Mapping[str, Any] | None:
    registrations: Mapping[str, Any] = event["registrations"]
    if row.get("registration_id"):
        found: Mapping[str, Any] | None = registrations.get(row["registration_id"])
        return found
    email = row.get("registration_email", "").lower()
    return next((r for r in registrations.values() if r["email"].lower() == email), None)
