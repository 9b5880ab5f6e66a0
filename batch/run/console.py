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
        """True when both stdin and stdout are terminals (someone can answer a prompt)."""
        return self.inp.isatty() and self.out.isatty()

    @property
    def live(self) -> bool:
        """True when stderr is a terminal (a redrawn progress bar makes sense)."""
        return self.err.isatty()
