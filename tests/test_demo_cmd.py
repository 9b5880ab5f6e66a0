"""`graph-batch demo`, the demo an installed user runs without the Makefile."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from batch.exit_codes import ExitCode
from tests.process_helpers import run_cli


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
