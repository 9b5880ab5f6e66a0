"""`graph-batch demo`, the demo an installed user runs without the Makefile."""

from __future__ import annotations

import re
import signal
from pathlib import Path

import pytest

from batch.exit_codes import ExitCode
from tests.nonposix import posix_signals
from tests.process_helpers import finish, finished_rows, run_cli, start_cli, wait_for_records


@pytest.mark.slow
async def test_demo_runs_from_any_directory(tmp_path: Path) -> None:
    """From an unrelated directory the demo generates what it needs, passes, and keeps its files
    in ./graph-batch-demo."""
    done = await run_cli("demo", cwd=tmp_path)
    assert done.code == ExitCode.OK, done.err
    assert "Demo passed." in done.out
    assert re.search(r"applied more than once:\s+0\n", done.out), done.out
    assert re.search(r"changed but not described:\s+0\n", done.out), done.out
    kept = {path.name for path in (tmp_path / "graph-batch-demo").iterdir()}
    assert {"demo.yaml", "demo-audit.jsonl"} <= kept


async def test_demo_out_that_cannot_be_made_is_a_usage_error(tmp_path: Path) -> None:
    """--out under a regular file: one line, exit 2, no traceback."""
    (tmp_path / "file").write_text("", encoding="utf-8")
    done = await run_cli("demo", "--out", str(tmp_path / "file" / "demo"))
    assert done.code == ExitCode.INVALID
    assert done.err.startswith(f"graph-batch: cannot write to {tmp_path / 'file' / 'demo'}")
    assert "Traceback" not in done.err


@posix_signals
async def test_ctrl_c_during_the_demo_run_exits_130_without_a_verdict(tmp_path: Path) -> None:
    """Ctrl-C while the demo's run is under way: exit 130, no verification, no "FAILED"."""
    process = await start_cli("demo", "--out", str(tmp_path))
    await wait_for_records(
        tmp_path / "demo-audit.jsonl", lambda records: bool(finished_rows(records)), process=process
    )
    process.send_signal(signal.SIGINT)
    done = await finish(process)
    assert done.code == ExitCode.INTERRUPTED, done.out + done.err
    assert "Verification" not in done.out
    assert "FAILED" not in done.out + done.err
    assert "Traceback" not in done.err
