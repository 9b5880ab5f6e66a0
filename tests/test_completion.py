"""Shell completion: the hook `graph-batch completion SHELL` prints, and the answers the
shell then gets from graph-batch itself (argcomplete's protocol, as bash drives it)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from batch.cli import main

SHELL_MARKERS = {
    "bash": "complete ",
    "zsh": "#compdef graph-batch",
    "powershell": "Register-ArgumentCompleter",
}


@pytest.mark.parametrize(("shell", "marker"), SHELL_MARKERS.items())
def test_hook_for_each_shell(shell: str, marker: str, capsys: pytest.CaptureFixture[str]) -> None:
    """`completion bash|zsh|powershell` prints that shell's hook for graph-batch, exit 0."""
    assert main(["completion", shell]) == 0
    out = capsys.readouterr().out
    assert marker in out
    assert "graph-batch" in out


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("graph-batch va", {"validate"}),
        ("graph-batch run --au", {"--audit-log", "--auth"}),
        ("graph-batch completion p", {"powershell"}),
    ],
)
def test_completions_the_shell_gets(tmp_path: Path, line: str, expected: set[str]) -> None:
    """With the hook's environment set, graph-batch answers with the matching words."""
    answer = tmp_path / "completions"
    env = {
        **os.environ,
        "_ARGCOMPLETE": "1",
        "COMP_LINE": line,
        "COMP_POINT": str(len(line)),
        "_ARGCOMPLETE_STDOUT_FILENAME": str(answer),
    }
    subprocess.run(
        [sys.executable, "-m", "batch"], env=env, check=True, capture_output=True, timeout=60
    )
    words = {word.strip() for word in answer.read_text(encoding="utf-8").split("\x0b")}
    assert words == expected
