"""Driving `graph-batch list` (then `validate` / `run`) as a user would, from async tests."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import structlog

from batch.cli import main


@dataclass(frozen=True)
class Cli:
    """What one command returned and printed."""

    code: int
    out: str
    err: str


def _main(argv: list[str]) -> int:
    try:
        return main(argv)
    except SystemExit as exc:  # argparse's own usage errors
        return int(exc.code or 0)


async def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> Cli:
    """Run the CLI in a thread (the server keeps serving on this loop); never a traceback."""
    capsys.readouterr()
    code = await asyncio.to_thread(_main, list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in err, err
    return Cli(code, out, err)


async def run_manifest(
    capsys: pytest.CaptureFixture[str], manifest: Path, base_url: str, audit: Path, *extra: str
) -> Cli:
    """`graph-batch run MANIFEST --yes --quiet [EXTRA...]` against `base_url`, audit at `audit`."""
    return await cli(
        capsys,
        "run",
        str(manifest),
        "--yes",
        "--quiet",
        "--base-url",
        base_url,
        "--audit-log",
        str(audit),
        *extra,
    )


def files_in(folder: Path) -> list[str]:
    """Names of the files in `folder` (sync, for async tests)."""
    return sorted(path.name for path in folder.iterdir())


def text_of(path: Path) -> str:
    """A file's text (sync, for async tests)."""
    return path.read_text(encoding="utf-8")


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: os.PathLike[str]) -> Iterator[None]:
    """No ambient settings or credentials; structlog reset afterwards."""
    for name in list(os.environ):
        if name.startswith(("GRAPH_BATCH_", "AZURE_", "GRAPH_ACCESS_TOKEN")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("GRAPH_BATCH_STATE_DIR", os.path.join(tmp_path, "state"))
    yield
    structlog.reset_defaults()
