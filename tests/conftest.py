"""Fixtures: the sandbox running in-process on 127.0.0.1, and an HTTP client to talk to it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from batch.sandbox import Clock, Sandbox, SandboxConfig, World, serve
from tests.sandbox_helpers import DEFAULT_WORLD

SandboxFactory = Callable[..., Awaitable[Sandbox]]


@pytest.fixture(autouse=True)
def private_state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test (and the processes it starts) keeps job locks and logins in its own state dir."""
    state = tmp_path / "state"
    monkeypatch.setenv("GRAPH_BATCH_STATE_DIR", str(state))
    return state


@pytest.fixture
def default_world() -> World:
    """The small world shipped in jobs/sandbox-world.yaml."""
    return World.load(DEFAULT_WORLD)


@pytest.fixture
async def sandbox_factory(default_world: World) -> AsyncIterator[SandboxFactory]:
    """Start sandboxes on free ports: `await sandbox_factory(world=None, clock=None, **config)`."""
    async with AsyncExitStack() as stack:

        async def start(
            world: World | None = None, clock: Clock | None = None, **overrides: Any
        ) -> Sandbox:
            config = SandboxConfig.model_validate(overrides)
            return await stack.enter_async_context(
                serve(world or default_world, config, clock=clock)
            )

        yield start


@pytest.fixture
async def sandbox(sandbox_factory: SandboxFactory) -> Sandbox:
    """A sandbox with the default world and Graph's default limits."""
    return await sandbox_factory()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    """A plain aiohttp client session."""
    async with aiohttp.ClientSession() as session:
        yield session
