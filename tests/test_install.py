"""The package as pipx installs it: a wheel built from this tree, installed into a fresh venv,
answers `--version` and `--help` from any directory (neither needs a dependency loaded)."""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from batch import __version__
from tests.nonposix import REPO

pytestmark = pytest.mark.slow


def _run(*argv: str | Path, cwd: Path | None = None) -> str:
    done = subprocess.run(  # noqa: S603 - our own interpreter, pip and console script
        [str(arg) for arg in argv],
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
    )
    return done.stdout


def test_wheel_installs_and_starts_anywhere(tmp_path: Path) -> None:
    """Built, installed without the checkout on the path, run from an unrelated directory."""
    wheels = tmp_path / "wheels"
    offline = ("--no-deps", "--no-build-isolation")  # hatchling comes with the dev extras
    _run(sys.executable, "-m", "pip", "wheel", *offline, "--wheel-dir", wheels, REPO)
    (wheel,) = wheels.glob("graph_batch-*.whl")
    target = tmp_path / "venv"
    venv.create(target, with_pip=True)
    scripts = target / ("Scripts" if os.name == "nt" else "bin")
    _run(scripts / "python", "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", wheel)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert _run(scripts / "graph-batch", "--version", cwd=elsewhere).strip() == (
        f"graph-batch {__version__}"
    )
    assert "demo" in _run(scripts / "graph-batch", "--help", cwd=elsewhere)
    site = _run(scripts / "python", "-c", "import batch; print(batch.__file__)", cwd=elsewhere)
    assert str(REPO) not in site, "the installed copy, not the checkout, must be used"
