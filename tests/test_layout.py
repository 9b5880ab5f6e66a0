"""Data flows one way between packages, and drawing code loads only when something is drawn."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from tests.process_helpers import REPO

PACKAGE = REPO / "batch"

FORBIDDEN: dict[str, tuple[str, ...]] = {
    "planning": ("batch.run", "batch.cli"),
    "run": ("batch.cli",),
    "audit": ("batch.run", "batch.planning", "batch.cli"),
    "display": ("batch.run", "batch.planning", "batch.cli"),
    "manifest": ("batch.run", "batch.planning", "batch.cli", "batch.display"),
}
"""Package -> the packages it must never import (anywhere in the module, lazily or not)."""


def imports(path: Path) -> set[str]:
    """Every module `path` imports, at any depth of its code."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_packages_do_not_import_upstream(package: str) -> None:
    """planning never imports run (run reads plans), run never the CLI, and so on."""
    bad = {
        f"{path.relative_to(REPO)} imports {name}"
        for path in (PACKAGE / package).glob("*.py")
        for name in imports(path)
        if name.startswith(FORBIDDEN[package])
    }
    assert bad == set()


def test_the_cli_starts_without_loading_the_drawing_code() -> None:
    """`graph-batch --help` and `validate` never load our drawing code or rich's live display.

    (structlog itself imports rich's console and tables for tracebacks when rich is installed.)
    """
    drawing = ("batch.display", "rich.live", "rich.progress_bar")
    probe = (
        f"import sys, batch.cli; print(sorted(m for m in sys.modules if m.startswith({drawing})))"
    )
    loaded = subprocess.run(  # noqa: S603 - our own interpreter and code.
        [sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.strip()
    assert loaded == "[]"
