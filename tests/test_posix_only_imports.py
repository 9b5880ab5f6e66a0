"""Issue 13: nothing in batch/ imports a POSIX-only module at module level, or needs
`os.O_NOFOLLOW`/`os.O_CLOEXEC` to exist (Windows has neither)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

BATCH = Path(__file__).resolve().parent.parent / "batch"
POSIX_ONLY = {"fcntl", "termios", "pwd", "grp", "resource"}
SOURCES = sorted(BATCH.rglob("*.py"))


def _function_bodies(tree: ast.Module) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            lines |= {child.lineno for child in ast.walk(node) if hasattr(child, "lineno")}
    return lines


@pytest.mark.parametrize("source", SOURCES, ids=lambda path: str(path.relative_to(BATCH)))
def test_no_module_level_posix_only_import(source: Path) -> None:
    """Importing this module works where fcntl, termios, pwd, grp and resource are absent."""
    tree = ast.parse(source.read_text(encoding="utf-8"))
    inside = _function_bodies(tree)
    top = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import) and node.lineno not in inside
        for alias in node.names
    } | {
        node.module.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module and node.lineno not in inside
    }
    assert not top & POSIX_ONLY


@pytest.mark.parametrize("source", SOURCES, ids=lambda path: str(path.relative_to(BATCH)))
def test_open_flags_only_through_getattr(source: Path) -> None:
    """`os.O_NOFOLLOW` / `os.O_CLOEXEC` are never read directly (AttributeError on Windows)."""
    tree = ast.parse(source.read_text(encoding="utf-8"))
    direct = [
        node.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and node.attr in {"O_NOFOLLOW", "O_CLOEXEC"}
    ]
    assert direct == []
