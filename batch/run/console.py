"""The streams a run talks to, and whether a person is at them."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import TextIO


@dataclass
class Console:
    """stdout for results, stderr for progress and errors, stdin for the confirmation."""

    out: TextIO = field(default_factory=lambda: sys.stdout)
    err: TextIO = field(default_factory=lambda: sys.stderr)
    inp: TextIO = field(default_factory=lambda: sys.stdin)

    @property
    def interactive(self) -> bool:
        """True when stdin is a terminal and stdout or stderr is one (someone can see and answer
        a prompt): `graph-batch run job.csv | tee run.log` still asks."""
        return self.inp.isatty() and (self.out.isatty() or self.err.isatty())

    @property
    def prompt(self) -> TextIO:
        """Where a question goes: stdout on a terminal, else stderr (stdout is a pipe or file)."""
        return self.out if self.out.isatty() else self.err

    @property
    def live(self) -> bool:
        """True when stderr is a terminal (a redrawn progress bar makes sense)."""
        return self.err.isatty()
