"""`graph-batch plan` exit codes and output, against the sandbox."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from batch.cli import main
from batch.sandbox import Sandbox
from tests.conftest import SandboxFactory
from tests.planning.world import EVERY_KIND, PLAN_WORLD, write_manifest


@pytest.fixture
async def world_sandbox(
    sandbox_factory: SandboxFactory, monkeypatch: pytest.MonkeyPatch
) -> Sandbox:
    """The every-kind world (permissive: the organizer may list a registration's sessions),
    with its organizer token in GRAPH_ACCESS_TOKEN."""
    sandbox = await sandbox_factory(world=PLAN_WORLD, permissions="permissive")
    monkeypatch.setenv("GRAPH_ACCESS_TOKEN", sandbox.token)
    monkeypatch.setenv("GRAPH_BATCH_BASE_URL", sandbox.base_url)
    monkeypatch.delenv("GRAPH_BATCH_AUTH", raising=False)
    return sandbox


async def run_cli(*argv: str) -> int:
    """Run the CLI in a thread (it starts its own event loop) while the sandbox serves."""
    return await asyncio.to_thread(main, list(argv))


@pytest.mark.parametrize(
    ("kinds", "code"),
    [
        (slice(0, 3), 0),  # will-apply and already-done only
        (slice(None), 1),  # some not-found
    ],
)
async def test_exit_code_says_whether_rows_need_attention(
    world_sandbox: Sandbox, tmp_path: Path, kinds: slice, code: int
) -> None:
    """0 when every row will apply or is done, 1 when any is not-found/forbidden/error."""
    manifest = write_manifest(tmp_path / "job.csv", [row for row, _ in EVERY_KIND[kinds]])
    assert await run_cli("plan", str(manifest)) == code


async def test_summary_and_plan_file(
    world_sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The summary shows counts per op and the run estimate; --out writes the plan."""
    manifest = write_manifest(tmp_path / "job.csv", [row for row, _ in EVERY_KIND])
    out = tmp_path / "plan.json"
    assert await run_cli("plan", str(manifest), "--out", str(out), "--write-limit", "1/2s") == 1
    printed = capsys.readouterr().out
    assert "remove-session" in printed
    lines = printed.splitlines()
    at = lines.index("  row 5  cancel  not-found: event not found")
    assert lines[at + 1].strip() == "HTTP 404 NotFound"
    assert "5 write(s) would be sent; at 1/2s that takes at least 8.0s." in printed
    assert f"--plan {out}" in printed
    assert out.exists()


async def test_invalid_manifest_exits_2_before_any_request(
    world_sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An invalid manifest is reported with its line and nothing is sent."""
    manifest = write_manifest(tmp_path / "job.csv", [{"op": "cancel", "event_id": ""}])
    assert await run_cli("plan", str(manifest)) == 2
    assert "job.csv:2" in capsys.readouterr().err
    assert world_sandbox.stats().requests_total == 0


async def test_refused_token_exits_3(
    world_sandbox: Sandbox,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A token Graph refuses on the first read: exit 3, one line on stderr."""
    monkeypatch.setenv("GRAPH_ACCESS_TOKEN", "unknown-token")
    manifest = write_manifest(tmp_path / "job.csv", [row for row, _ in EVERY_KIND])
    assert await run_cli("plan", str(manifest)) == 3
    assert "refused" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--base-url", "http://graph.example.com"], "plain-http"),
        (["--concurrency", "0"], "--concurrency"),
    ],
)
async def test_bad_settings_exit_2(
    world_sandbox: Sandbox,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    message: str,
) -> None:
    """Bad flags are usage errors naming the flag, before anything is sent."""
    manifest = write_manifest(tmp_path / "job.csv", [row for row, _ in EVERY_KIND])
    assert await run_cli("plan", str(manifest), *args) == 2
    assert message in capsys.readouterr().err
    assert world_sandbox.stats().requests_total == 0


async def test_bad_rate_is_an_argparse_error(tmp_path: Path) -> None:
    """A malformed --read-limit is rejected by the parser with exit 2."""
    manifest = write_manifest(tmp_path / "job.csv", [row for row, _ in EVERY_KIND])
    with pytest.raises(SystemExit) as caught:
        main(["plan", str(manifest), "--read-limit", "fast"])
    assert caught.value.code == 2
