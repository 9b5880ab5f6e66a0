"""Control endpoints, counters, world files and the generator."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import aiohttp
import pytest

from batch.errors import UsageError
from batch.loopback import is_loopback
from batch.manifest.convert import build_operation
from batch.operations import EventType, event_path
from batch.sandbox import Sandbox, SandboxConfig, World, generate_world, serve
from tests.conftest import SandboxFactory
from tests.sandbox_helpers import REG_ADELE, WEBINAR, call

READ = event_path(EventType.WEBINAR, WEBINAR)


async def test_stats_and_state_over_http_match_in_process(
    sandbox: Sandbox, http: aiohttp.ClientSession
) -> None:
    """`/_sandbox/stats` and `/_sandbox/state` need no token and equal stats()/state()."""
    await call(http, sandbox, "GET", READ)
    await call(http, sandbox, "GET", READ, token=None)
    async with http.get(f"{sandbox.base_url}/_sandbox/stats") as response:
        stats = await response.json()
    assert stats == sandbox.stats().model_dump(mode="json")
    assert stats["by_status"] == {"200": 1, "401": 1}
    assert stats["requests_total"] == 2
    async with http.get(f"{sandbox.base_url}/_sandbox/state") as response:
        state = await response.json()
    assert state == sandbox.state()
    assert state["webinars"][WEBINAR]["registrations"][REG_ADELE]["status"] == "registered"


async def test_reset_stats_keeps_the_world(sandbox: Sandbox, http: aiohttp.ClientSession) -> None:
    """reset-stats zeroes counters but not the world's state."""
    await call(http, sandbox, "POST", f"{READ}/cancel")
    async with http.post(f"{sandbox.base_url}/_sandbox/reset-stats") as response:
        assert response.status == 204
    assert sandbox.stats().requests_total == 0
    assert sandbox.state()["webinars"][WEBINAR]["status"] == "canceled"


async def test_max_concurrent_counts_requests_in_flight(
    sandbox_factory: SandboxFactory, http: aiohttp.ClientSession
) -> None:
    """Five overlapping requests (50 ms latency each) give max_concurrent 5, in_flight 0 after."""
    sandbox = await sandbox_factory(latency_ms=50)
    replies = await asyncio.gather(*(call(http, sandbox, "GET", READ) for _ in range(5)))
    assert {r.status for r in replies} == {200}
    stats = sandbox.stats()
    assert stats.max_concurrent == 5
    assert stats.in_flight == 0
    assert stats.by_method == {"GET": 5}


@pytest.mark.parametrize(
    ("remote", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("10.0.0.5", False),
        ("192.168.1.1", False),
        ("::ffff:10.0.0.1", False),
        ("fe80::1%eth0", False),
        ("::1%lo", True),
        ("localhost", True),
        ("LocalHost", True),
        (None, False),
        ("", False),
        ("not-an-ip", False),
        ("localhost.evil.example", False),
    ],
)
def test_is_loopback(remote: str | None, loopback: bool) -> None:
    """Only localhost, 127.0.0.0/8 and ::1 count as loopback, for peers, binds and URLs."""
    assert is_loopback(remote) is loopback


def _non_loopback_ip() -> str | None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.255.255.255", 1))  # UDP connect sends nothing.
        except OSError:
            return None
        address: str = probe.getsockname()[0]
    return None if is_loopback(address) else address


async def test_control_endpoints_refuse_non_loopback_peers(
    default_world: World, http: aiohttp.ClientSession
) -> None:
    """Bound on all interfaces, the API answers a LAN peer but the control endpoints refuse it."""
    address = _non_loopback_ip()
    if address is None:
        pytest.skip("this machine has no non-loopback IPv4 address")
    async with serve(default_world, SandboxConfig(), host="0.0.0.0") as sandbox:
        port = sandbox.base_url.rsplit(":", 1)[1]
        async with http.get(f"http://{address}:{port}/_sandbox/stats") as response:
            assert response.status == 403
        headers = {"Authorization": f"Bearer {sandbox.token}"}
        async with http.get(f"http://{address}:{port}/v1.0{READ}", headers=headers) as response:
            assert response.status == 200


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("webinars: [{displayName: x}]", "webinars.0.id"),
        ("webinars: [{id: a}, {id: a}]", "duplicate event ids"),
        ("webinars: [{id: a, registrations: [{id: r, email: a@b.c, sessions: [s9]}]}]", "s9"),
        ("tokens: [{value: t, expires_in: 5, expires_at: 2030-01-01T00:00:00Z}]", "at most one"),
        ("webinars: [{id: a, status: cancelled}]", "webinars.0.status"),
        ("webinars: [unclosed", "not valid YAML"),
        ("surprise: 1", "surprise"),
    ],
)
def test_bad_world_files_give_clear_usage_errors(tmp_path: Path, text: str, message: str) -> None:
    """A bad world file raises UsageError naming the problem."""
    path = tmp_path / "world.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(UsageError, match=message):
        World.load(path)


def test_missing_world_file_is_a_usage_error(tmp_path: Path) -> None:
    """A world file that does not exist is a UsageError, not an OSError."""
    with pytest.raises(UsageError, match="cannot read"):
        World.load(tmp_path / "nope.yaml")


def test_generated_world_round_trips_through_yaml(tmp_path: Path) -> None:
    """A generated world dumps to YAML that loads back equal, and a seed reproduces it."""
    world, rows = generate_world(40, seed=5)
    path = tmp_path / "world.yaml"
    path.write_text(world.dump_yaml(), encoding="utf-8")
    assert World.load(path) == world
    assert generate_world(40, seed=5)[1] == rows
    assert generate_world(40, seed=6)[1] != rows
    assert {row["op"] for row in rows} == {
        "cancel",
        "remove-session",
        "cancel-registration",
        "get-session",
    }


async def test_every_generated_row_succeeds_exactly_once(
    sandbox_factory: SandboxFactory, http: aiohttp.ClientSession
) -> None:
    """Each generated row is valid against its world: 2xx, and each mutation applied once."""
    world, rows = generate_world(80, seed=1)
    sandbox = await sandbox_factory(world=world, write_limit="1000/1s")
    built = [build_operation({k: v for k, v in r.items() if v}) for r in rows]
    operations = [op for op in built if not isinstance(op, tuple)]
    assert len(operations) == len(rows)
    assert len({op.key for op in operations}) == len(operations)
    for op in operations:
        reply = await call(http, sandbox, op.method, op.path)
        assert reply.status in (200, 204), (op, reply.json)
    stats = sandbox.stats()
    assert set(stats.applied.values()) == {1}
    assert stats.mutations_total == sum(op.destructive for op in operations)
    assert any("@" in op.event_id for op in operations)
