"""A Python that looks like Windows to graph-batch, on this Linux machine.

`nonposix_env(directory)` returns the environment for a child Python in which `fcntl`,
`termios`, `pwd`, `grp` and `resource` cannot be imported (ModuleNotFoundError, as on Windows),
`os.O_NOFOLLOW` and `os.O_CLOEXEC` do not exist, and the event loop's `add_signal_handler` raises
`NotImplementedError` (as Windows' proactor loop does). It works through a `sitecustomize`
module put first on PYTHONPATH, so it applies to `python -m batch` and any console script
before a line of graph-batch runs. Any suite can use it to prove a code path portable.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

posix_signals = pytest.mark.skipif(
    sys.platform == "win32",
    reason="sends POSIX signals to a child process; Windows has console events instead",
)
"""For tests that stop a child with SIGINT/SIGTERM, or that simulate Windows on POSIX."""

POSIX_ONLY_MODULES = ("fcntl", "termios", "pwd", "grp", "resource")
POSIX_ONLY_FLAGS = ("O_NOFOLLOW", "O_CLOEXEC")

SITECUSTOMIZE = f'''\
"""Written by tests/nonposix.py: hide what Windows' Python does not have."""

import asyncio.unix_events
import importlib.abc
import os
import sys

ABSENT = frozenset({POSIX_ONLY_MODULES!r})


class _Absent(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name in ABSENT:
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
        return None


for _name in ABSENT:
    sys.modules.pop(_name, None)
sys.meta_path.insert(0, _Absent())
for _flag in {POSIX_ONLY_FLAGS!r}:
    if hasattr(os, _flag):
        delattr(os, _flag)


def _refuse(self, *args, **kwargs):
    raise NotImplementedError


asyncio.unix_events._UnixSelectorEventLoop.add_signal_handler = _refuse
asyncio.unix_events._UnixSelectorEventLoop.remove_signal_handler = _refuse
'''


def nonposix_env(directory: Path) -> dict[str, str]:
    """Variables to add to a child's environment so it runs in the simulation above.

    Writes `directory/sitecustomize.py`; the repository stays importable from any working
    directory.
    """
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
    inherited = os.environ.get("PYTHONPATH")
    path = [str(directory), str(REPO), *([inherited] if inherited else [])]
    return {"PYTHONPATH": os.pathsep.join(path)}
