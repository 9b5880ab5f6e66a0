"""`graph-batch sandbox` as users run it: a real subprocess that prints URL and token."""

from __future__ import annotations

import asyncio
import csv
import signal
from pathlib import Path

import aiohttp
import pytest

from batch.cli import main
from batch.exit_codes import ExitCode
from batch.operations import EventType, event_path
from batch.sandbox import World
from tests.nonposix import posix_signals
from tests.process_helpers import read_banner, start_cli
from tests.sandbox_helpers import DEFAULT_WORLD, WEBINAR


async def _start(*args: str, env: dict[str, str] | None = None) -> asyncio.subprocess.Process:
    return await start_cli("sandbox", *args, env=env)


@posix_signals
@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
async def test_cli_serves_prints_url_and_token_and_stops_cleanly(
    stop_signal: signal.Signals,
) -> None:
    """The subprocess prints a loopback URL and a working token; a signal stops it with exit 0."""
    process = await _start("--world", str(DEFAULT_WORLD), "--port", "0")
    try:
        banner = await read_banner(process)
        assert banner["url"].startswith("http://127.0.0.1:")
        url = f"{banner['url']}/v1.0{event_path(EventType.WEBINAR, WEBINAR)}"
        async with (
            aiohttp.ClientSession() as http,
            http.get(url, headers={"Authorization": f"Bearer {banner['token']}"}) as response,
        ):
            assert response.status == 200
        process.send_signal(stop_signal)
        _, stderr = await asyncio.wait_for(process.communicate(), timeout=20)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 0
    assert b"Traceback" not in stderr


async def test_cli_refuses_non_loopback_host_from_environment() -> None:
    """A non-loopback address from GRAPH_BATCH_SANDBOX_HOST is refused (exit 2): it needs --host."""
    process = await _start(
        "--world", str(DEFAULT_WORLD), env={"GRAPH_BATCH_SANDBOX_HOST": "0.0.0.0"}
    )
    _, stderr = await asyncio.wait_for(process.communicate(), timeout=20)
    assert process.returncode == ExitCode.INVALID
    assert b"pass --host 0.0.0.0 explicitly" in stderr
    assert b"Traceback" not in stderr


def test_cli_generate_writes_world_and_manifest(tmp_path: Path) -> None:
    """--generate N --out DIR writes a loadable world and an N-row CSV manifest."""
    assert main(["sandbox", "--generate", "12", "--out", str(tmp_path), "--seed", "4"]) == 0
    world = World.load(tmp_path / "world.yaml")
    with (tmp_path / "manifest.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 12
    event_ids = {e.id for e in (*world.webinars, *world.townhalls)}
    assert {row["event_id"] for row in rows} <= event_ids


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--world", "nope.yaml"], "cannot read world file"),
        ([], "needs --world"),
        (["--world", str(DEFAULT_WORLD), "--write-limit", "fast"], "expected a rate"),
        (["--world", str(DEFAULT_WORLD), "--fault", "drop-after=2"], "sandbox:"),
        (["--generate", "3"], "needs --out"),
    ],
)
def test_cli_usage_errors_exit_2(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Bad flags or files give one stderr line and exit 2, nothing served."""
    assert main(["sandbox", *args]) == ExitCode.INVALID
    assert message in capsys.readouterr().err
