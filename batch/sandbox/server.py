"""Run the sandbox on a real socket, in-process: `async with serve(world) as sandbox: ...`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiohttp import web

from batch.sandbox.app import ENGINE, create_app
from batch.sandbox.config import Clock, SandboxConfig
from batch.sandbox.engine import Engine
from batch.sandbox.stats import Stats
from batch.sandbox.world import AppGrant, TokenSpec, World


@dataclass(frozen=True)
class Sandbox:
    """A running sandbox: where it listens, tokens it accepts, and what it has seen."""

    base_url: str
    """e.g. `http://127.0.0.1:PORT` (no API version)."""
    engine: Engine

    @property
    def api_root(self) -> str:
        """The `v1.0` API root under the base URL."""
        return f"{self.base_url}/v1.0"

    @property
    def token(self) -> str:
        """A delegated token of the organizer (never expires, never challenged)."""
        record = self.engine.tokens.first(app_only=False)
        if record is None:  # Engine always registers one; this keeps the type honest.
            raise LookupError("the sandbox has no plain delegated token")
        return record.value

    @property
    def app_only_token(self) -> str:
        """An application token with an application access policy: reads of events, sessions
        and registrations allowed; writes and the sessions/registrations lists refused."""
        record = self.engine.tokens.first(app_only=True)
        if record is None:
            raise LookupError("the sandbox has no plain app-only token")
        return record.value

    def token_named(self, name: str) -> str:
        """The value of the world file's token called `name` (minted ones included)."""
        record = self.engine.tokens.named(name)
        if record is None:
            raise LookupError(f"the world has no token named {name!r}")
        return record.value

    def add_token(
        self,
        *,
        name: str | None = None,
        value: str | None = None,
        app_only: bool = False,
        app_grant: AppGrant = "access-policy",
        upn: str = "organizer@contoso.com",
        expires_in: float | None = None,
        expires_at: datetime | None = None,
        cae_challenge: bool = False,
    ) -> str:
        """Accept one more token from now on (minted JWT-shaped unless `value` is given)."""
        spec = TokenSpec(
            name=name,
            value=value,
            app_only=app_only,
            app_grant=app_grant,
            upn=upn,
            expires_in=expires_in,
            expires_at=expires_at,
            cae_challenge=cae_challenge,
        )
        return self.engine.tokens.add(spec).value

    def stats(self) -> Stats:
        """The counters, as `GET /_sandbox/stats` returns them."""
        return self.engine.recorder.snapshot()

    def state(self) -> dict[str, Any]:
        """The current world, as `GET /_sandbox/state` returns it."""
        return self.engine.tenant.snapshot()

    def reset_stats(self) -> None:
        """Zero the counters (the world keeps its state)."""
        self.engine.reset_stats()


@asynccontextmanager
async def serve(
    world: World,
    config: SandboxConfig = SandboxConfig(),  # noqa: B008 - frozen value, safe as a default.
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    clock: Clock | None = None,
) -> AsyncIterator[Sandbox]:
    """Serve the sandbox on `host:port` (0 = ephemeral) until the block exits."""
    app = create_app(world, config, clock)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound_host, bound_port = runner.addresses[0][:2]
        url_host = f"[{bound_host}]" if ":" in bound_host else bound_host
        yield Sandbox(f"http://{url_host}:{bound_port}", app[ENGINE])
    finally:
        await runner.cleanup()
