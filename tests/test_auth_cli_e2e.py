"""Handed-in and app-only tokens through the real command line, against the sandbox: refusals
before any write, one clear line and exit 3, the expiry warning, `whoami`, and never a token in
stdout, stderr or the audit log."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import structlog

from batch.cli import main
from batch.exit_codes import ExitCode
from batch.rehearsal import write_yaml_job
from batch.sandbox import Sandbox, generate_world
from batch.sandbox.tokens import make_jwt
from tests.conftest import SandboxFactory
from tests.run_helpers import HUGE, assert_no_token_material

WORLD, ROWS = generate_world(30, seed=11)
CANCEL_REGISTRATIONS = [row for row in ROWS if row["op"] == "cancel-registration"]
TENANT = WORLD.tenant_id


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No ambient settings, credentials or saved login; structlog as it was afterwards."""
    for name in list(os.environ):
        if name.startswith(("GRAPH_BATCH_", "AZURE_")) or name == "GRAPH_ACCESS_TOKEN":
            monkeypatch.delenv(name)
    monkeypatch.setenv("GRAPH_BATCH_STATE_DIR", str(tmp_path / "state"))
    yield
    structlog.reset_defaults()


@dataclass
class CliRun:
    """What `graph-batch run` returned, printed and recorded."""

    code: int
    out: str
    err: str
    audit_text: str

    @property
    def finished(self) -> list[dict[str, Any]]:
        """The `op.finished` records."""
        records = [json.loads(line) for line in self.audit_text.splitlines()]
        return [record for record in records if record["event"] == "op.finished"]


async def run_cli(  # noqa: PLR0917 - the run's inputs, all needed
    rows: Sequence[Mapping[str, str]],
    tmp_path: Path,
    sandbox: Sandbox,
    token: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    *args: str,
) -> CliRun:
    """`graph-batch run` with GRAPH_ACCESS_TOKEN=token, in a thread so the sandbox keeps serving."""
    job = write_yaml_job(rows, tmp_path / "job.yaml")
    audit = tmp_path / "audit.jsonl"
    monkeypatch.setenv("GRAPH_ACCESS_TOKEN", token)
    argv = ["run", str(job), "--base-url", sandbox.base_url, "--yes", "--quiet"]
    argv += ["--audit-log", str(audit), "--read-limit", HUGE, *args]
    code = await asyncio.to_thread(main, argv)
    out, err = capsys.readouterr()
    text = audit.read_text(encoding="utf-8") if audit.exists() else ""
    assert "Traceback" not in err
    assert_no_token_material([token], out, err, text)
    return CliRun(code, out, err, text)


async def test_app_only_token_cannot_cancel(
    sandbox_factory: SandboxFactory,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """App-only token, cancels in the job: exit 3 before any request, one line naming what to
    use, every row recorded skipped `not-run`."""
    sandbox = await sandbox_factory(world=WORLD)
    token = sandbox.app_only_token
    result = await run_cli(
        ROWS, tmp_path, sandbox, token, capsys, monkeypatch, "--write-limit", HUGE
    )
    assert result.code == ExitCode.AUTH
    assert result.err.splitlines() == [
        "graph-batch: cancel needs a delegated sign-in of the event organizer, but this is an "
        "app-only token; use --auth device-code or --auth azure-cli (or a user token); "
        "nothing was changed"
    ]
    assert sandbox.stats().requests_total == 0
    assert {(r["outcome"], r["reason"]) for r in result.finished} == {("skipped", "not-run")}
    assert len(result.finished) == len(ROWS)


@pytest.mark.parametrize(
    "case", [("permissive", ExitCode.OK, True), ("published", ExitCode.AUTH, False)]
)
async def test_app_only_token_and_cancel_registrations(
    sandbox_factory: SandboxFactory,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    case: tuple[str, ExitCode, bool],
) -> None:
    """App-only token, only cancel-registration rows: the permissive sandbox lets every row
    succeed; the published tables refuse them (403), so the run stops with exit 3."""
    permissions, code, changed = case
    sandbox = await sandbox_factory(world=WORLD, permissions=permissions)
    rows = CANCEL_REGISTRATIONS
    token = sandbox.app_only_token
    result = await run_cli(
        rows, tmp_path, sandbox, token, capsys, monkeypatch, "--write-limit", HUGE
    )
    assert result.code == code, result.err
    assert sandbox.stats().mutations_total == (len(rows) if changed else 0)
    assert len(result.finished) == len(rows)


async def test_expired_handed_in_token_stops_at_the_preflight(
    sandbox_factory: SandboxFactory,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An expired GRAPH_ACCESS_TOKEN: the pre-flight read is refused (and tried once more),
    nothing else is sent, exit 3 with one line saying to fetch a new token."""
    sandbox = await sandbox_factory(world=WORLD)
    token = sandbox.add_token(expires_at=datetime.now(UTC) - timedelta(minutes=5))
    result = await run_cli(
        ROWS, tmp_path, sandbox, token, capsys, monkeypatch, "--write-limit", HUGE
    )
    assert result.code == ExitCode.AUTH
    warning, refusal = result.err.splitlines()
    assert warning.startswith("graph-batch: warning: the token from GRAPH_ACCESS_TOKEN expired at")
    assert refusal == (
        "graph-batch: the token from GRAPH_ACCESS_TOKEN was refused or has expired; fetch a new one"
    )
    stats = sandbox.stats()
    assert (stats.by_method, stats.by_status) == ({"GET": 2}, {401: 2})
    assert {(r["outcome"], r["reason"]) for r in result.finished} == {("skipped", "not-run")}
    assert len(result.finished) == len(ROWS)


async def test_token_expiring_mid_run_warns_then_stops(
    sandbox_factory: SandboxFactory,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A handed-in token lapsing before the estimated end: one warning at the start; when
    Graph refuses it the run stops, exit 3, every row recorded once, nothing applied twice."""
    sandbox = await sandbox_factory(world=WORLD)
    token = sandbox.add_token(expires_at=datetime.now(UTC) + timedelta(seconds=3))
    # 3 writes a second: about 5 s for the job's 17 writes, so the token lapses part-way,
    # with seconds to spare for a loaded machine to get the run started before it does.
    result = await run_cli(
        ROWS, tmp_path, sandbox, token, capsys, monkeypatch, "--write-limit", "3/1s"
    )
    assert result.code == ExitCode.AUTH
    lines = result.err.splitlines()
    warnings = [line for line in lines if line.startswith("graph-batch: warning:")]
    assert len(warnings) == 1
    assert "the token from GRAPH_ACCESS_TOKEN expires at" in warnings[0]
    assert lines[-1] == (
        "graph-batch: the token from GRAPH_ACCESS_TOKEN was refused or has expired; fetch a new one"
    )
    assert len(result.finished) == len(ROWS)
    assert sorted(r["row"] for r in result.finished) == sorted({r["row"] for r in result.finished})
    assert any(r["outcome"] == "skipped" for r in result.finished)
    assert all(count == 1 for count in sandbox.stats().applied.values())


async def test_no_warning_when_the_deadline_ends_the_run_first(
    sandbox_factory: SandboxFactory,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A token outliving --deadline is enough, however long the job would take: no warning."""
    sandbox = await sandbox_factory(world=WORLD)
    token = sandbox.add_token(expires_at=datetime.now(UTC) + timedelta(minutes=10))
    result = await run_cli(
        ROWS,
        tmp_path,
        sandbox,
        token,
        capsys,
        monkeypatch,
        "--write-limit",
        "1/3600s",
        "--deadline",
        "0.5",
    )
    assert result.code == ExitCode.FAILED
    assert "warning" not in result.err
    assert {r["reason"] for r in result.finished if r["outcome"] == "skipped"} == {"deadline"}


@pytest.mark.parametrize(
    ("app_only", "expected"),
    [
        (False, ["delegated", "organizer@contoso.com", "VirtualEvent.ReadWrite", TENANT]),
        (True, ["app-only", "graph-batch sandbox", "VirtualEvent.Read.All", TENANT]),
    ],
)
def test_whoami_describes_a_sandbox_token(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    app_only: bool,
    expected: list[str],
) -> None:
    """whoami with a sandbox token in GRAPH_ACCESS_TOKEN shows kind, identity, permissions and
    expiry, never the token."""
    expires = datetime.now(UTC) + timedelta(minutes=30)
    token = make_jwt(
        app_only=app_only, upn="organizer@contoso.com", tenant_id=TENANT, expires_at=expires
    )
    monkeypatch.setenv("GRAPH_ACCESS_TOKEN", token)
    assert main(["whoami"]) == ExitCode.OK
    out, err = capsys.readouterr()
    for text in [*expected, f"{expires:%Y-%m-%d}", "(in 29 min)"]:
        assert text in out
    assert_no_token_material([token], out, err)
