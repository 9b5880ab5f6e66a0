"""Rehearsing a run against the sandbox: a YAML job from generated rows, the sandbox on its own
thread, and a check that the sandbox ended in exactly the state the rows asked for.

Shared by `make demo`, `make bench` and the end-to-end tests.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from batch.sandbox import Sandbox, SandboxConfig, World, serve


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
