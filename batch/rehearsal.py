"""Rehearsing a run against the sandbox: a YAML job from generated rows, the sandbox on its own
thread, and a check that the sandbox ended in exactly the state the rows asked for.

Shared by `make demo`, `make bench` and the end-to-end tests. `python -m batch.rehearsal WORLD
CONFIG` serves a sandbox in a process of its own (what the bench measures against, so the
runner has its core to itself) and prints one JSON line with its base URL and token.
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

from batch.sandbox import Sandbox, SandboxConfig, Stats, World, serve


def write_yaml_job(
    rows: Iterable[Mapping[str, str]], path: Path, settings: Mapping[str, object] | None = None
) -> Path:
    """Write `rows` (manifest column dicts) as a YAML job, with an optional `settings:` block."""
    job: dict[str, Any] = {"version": 1}
    if settings:
        job["settings"] = dict(settings)
    job["operations"] = [{k: v for k, v in row.items() if v} for row in rows]
    path.write_text(yaml.safe_dump(job, sort_keys=False, allow_unicode=True), encoding="utf-8")
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

    def stats(self) -> Stats:
        """The sandbox's counters."""
        return Stats.model_validate(self._get("/_sandbox/stats"))

    def state(self) -> dict[str, Any]:
        """The sandbox's current world."""
        state: dict[str, Any] = self._get("/_sandbox/state")
        return state


@contextmanager
def sandbox_in_subprocess(world: World, config: SandboxConfig) -> Iterator[RemoteSandbox]:
    """Serve the sandbox from a child process on 127.0.0.1 until the block exits."""
    with tempfile.TemporaryDirectory() as tmp:
        world_file, config_file = Path(tmp) / "world.yaml", Path(tmp) / "config.json"
        world_file.write_text(world.dump_yaml(), encoding="utf-8")
        config_file.write_text(config.model_dump_json(), encoding="utf-8")
        command = [sys.executable, "-m", "batch.rehearsal", str(world_file), str(config_file)]
        with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as child:  # noqa: S603
            try:
                assert child.stdout is not None  # noqa: S101 - stdout=PIPE above.
                hello = json.loads(child.stdout.readline())
                yield RemoteSandbox(hello["base_url"], hello["token"])
            finally:
                child.terminate()


async def _serve_forever(world: World, config: SandboxConfig) -> None:
    async with serve(world, config) as sandbox:
        print(json.dumps({"base_url": sandbox.base_url, "token": sandbox.token}), flush=True)
        await asyncio.Event().wait()


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


if __name__ == "__main__":
    logging.getLogger("aiohttp.server").setLevel(logging.CRITICAL)
    world_arg, config_arg = sys.argv[1:3]
    sandbox_config = SandboxConfig.model_validate_json(Path(config_arg).read_text("utf-8"))
    asyncio.run(_serve_forever(World.load(world_arg), sandbox_config))
