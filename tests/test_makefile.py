"""The Makefile's first step: a Python older than 3.11 gets one clear line, and a .venv made by
one is rebuilt instead of reused. Run against a copy of the Makefile with stand-in Pythons."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.process_helpers import REPO

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")

OLD_PYTHON = """#!/bin/sh
# A Python 3.10 as far as the Makefile can tell: fails the version check, reports 3.10.
case "$2" in
  *"version_info < (3, 11)"*) exit 1 ;;
  *"%d.%d"*) echo 3.10 ;;
  *) exit 1 ;;
esac
"""


def _project(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    project.mkdir()
    shutil.copy(REPO / "Makefile", project / "Makefile")
    shutil.copy(REPO / "pyproject.toml", project / "pyproject.toml")
    return project


def _old_python(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(OLD_PYTHON, encoding="utf-8")
    path.chmod(0o755)
    return path


def _make(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - make from PATH, on our own Makefile
        ["make", "--no-print-directory", *args],  # noqa: S607
        cwd=project,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_too_old_python_is_named(tmp_path: Path) -> None:
    """PYTHON=3.10: 'needs Python ≥ 3.11 (found 3.10)', non-zero, and no .venv is left."""
    project = _project(tmp_path)
    old = _old_python(tmp_path / "bin" / "python3.10")
    done = _make(project, "install", f"PYTHON={old}")
    assert done.returncode != 0
    assert "needs Python ≥ 3.11 (found 3.10)" in done.stderr
    assert not (project / ".venv").exists()


def test_missing_python_is_named(tmp_path: Path) -> None:
    """A PYTHON that does not exist is reported as such, not as a pip error."""
    done = _make(_project(tmp_path), "install", "PYTHON=no-such-python3")
    assert done.returncode != 0
    assert "needs Python ≥ 3.11 (found none: no no-such-python3)" in done.stderr


def test_venv_of_an_old_python_is_rebuilt(tmp_path: Path) -> None:
    """A .venv whose python is too old is removed and made again, even if marked installed."""
    project = _project(tmp_path)
    _old_python(project / ".venv" / "bin" / "python")
    (project / ".venv" / ".installed").touch()
    planned = _make(project, "-n", "install", f"PYTHON={sys.executable}").stdout
    assert "rm -rf .venv" in planned
    assert f"{sys.executable} -m venv .venv" in planned


def test_a_venv_without_pip_is_rebuilt(tmp_path: Path) -> None:
    """A .venv a failed install left without pip is made again, not reused."""
    project = _project(tmp_path)
    _venv(project, with_pip=False)
    planned = _make(project, "-n", "install", f"PYTHON={sys.executable}").stdout
    assert "rm -rf .venv" in planned


def test_a_good_venv_is_reused(tmp_path: Path) -> None:
    """A .venv made by a good Python, with pip, marked installed, is left alone."""
    project = _project(tmp_path)
    _venv(project, with_pip=True)
    planned = _make(project, "-n", "install", f"PYTHON={sys.executable}").stdout
    assert "Nothing to be done" in planned


def _venv(project: Path, *, with_pip: bool) -> None:
    """A .venv of this Python marked installed; `pip` is a stand-in package, not a real pip."""
    subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-m", "venv", "--without-pip", str(project / ".venv")], check=True
    )
    if with_pip:
        version = f"python{sys.version_info.major}.{sys.version_info.minor}"
        package = project / ".venv" / "lib" / version / "site-packages" / "pip"
        package.mkdir(parents=True)
        (package / "__init__.py").touch()
    (project / ".venv" / ".installed").touch()
