"""Driving `graph-batch` in-process against a threaded sandbox, and proving files untouched."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import structlog

from batch.cli import main
from batch.rehearsal import sandbox_in_thread, write_yaml_job
from batch.sandbox import Sandbox, SandboxConfig, generate_world

WORLD, ROWS = generate_world(6, seed=1)
needs_symlinks = pytest.mark.skipif(
    sys.platform == "win32", reason="creating symlinks needs a privilege on Windows"
)
posix_modes = pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
FAST = ("--write-limit", "100000/1s", "--read-limit", "100000/1s")


@contextmanager
def threaded_sandbox() -> Iterator[Sandbox]:
    """The 6-row world served from a background thread (so the blocking CLI can call it).

    Its limits are far above what the tests send, so many runs in a row never wait on a 429.
    """
    config = SandboxConfig.model_validate({"write_limit": FAST[1], "read_limit": FAST[3]})
    with sandbox_in_thread(WORLD, config) as sandbox:
        yield sandbox


@contextmanager
def cli_talking_to(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    """The CLI's environment for one test: `sandbox`'s URL and token in the environment, and
    structlog reset afterwards (each `main` call configures it)."""
    monkeypatch.setenv("GRAPH_ACCESS_TOKEN", sandbox.token)
    monkeypatch.setenv("GRAPH_BATCH_BASE_URL", sandbox.base_url)
    try:
        yield sandbox
    finally:
        structlog.reset_defaults()


def write_job(path: Path) -> Path:
    """The 6 rows as a YAML job at `path`."""
    return write_yaml_job(ROWS, path)


@dataclass(frozen=True)
class Cli:
    """What one in-process `graph-batch` call returned and printed."""

    code: int
    out: str
    err: str


def call(args: Sequence[str], capsys: pytest.CaptureFixture[str]) -> Cli:
    """Run `graph-batch ARGS` through the real entry point, capturing its output."""
    capsys.readouterr()
    code = main(list(args))
    captured = capsys.readouterr()
    return Cli(code, captured.out, captured.err)


def snapshot(directory: Path) -> dict[str, str | bytes]:
    """Every entry under `directory`: a symlink's target, a file's bytes, or "<dir>"."""
    found: dict[str, str | bytes] = {}
    for root, dirs, files in os.walk(directory):
        for name in [*dirs, *files]:
            path = Path(root) / name
            relative = str(path.relative_to(directory))
            if path.is_symlink():
                found[relative] = "-> " + os.readlink(path)
            elif path.is_dir():
                found[relative] = "<dir>"
            else:
                found[relative] = path.read_bytes()
    return found


def mode_of(path: Path) -> int:
    """The permission bits of `path`."""
    return path.stat().st_mode & 0o777
