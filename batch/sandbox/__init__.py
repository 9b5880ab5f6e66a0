"""A local emulator of the Graph virtual-events endpoints, for rehearsals, tests and benchmarks.

It serves the endpoints graph-batch uses under `/v1.0` and `/beta`, with Graph-shaped errors,
bearer-token auth, sliding-window throttling, `$batch`, seeded fault injection and counters
that prove what was applied. See docs/sandbox.md.
"""

from batch.sandbox.app import create_app
from batch.sandbox.config import Clock, FaultConfig, SandboxConfig, SystemClock
from batch.sandbox.generate import generate_world
from batch.sandbox.server import Sandbox, serve
from batch.sandbox.stats import Stats
from batch.sandbox.world import World

__all__ = [
    "Clock",
    "FaultConfig",
    "Sandbox",
    "SandboxConfig",
    "Stats",
    "SystemClock",
    "World",
    "create_app",
    "generate_world",
    "serve",
]
