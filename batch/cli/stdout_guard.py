"""A reader that closes stdout early (`graph-batch list ... | head -1`) is not an error.

Python ignores SIGPIPE, so writing to such a pipe raises BrokenPipeError, which used to end any
command with a traceback and exit 1, and left `list --out`'s manifest unwritten. `main` puts
stdout behind `PipeGuard` instead: after the first BrokenPipeError it points the descriptor at
/dev/null (what the Python docs recommend: nothing is left to fail at exit) and drops further
output. The command itself carries on and keeps its own exit code; `list` reads `reader_gone`
to stop paging when printing was all that was asked.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterable, Iterator
from typing import Any, TextIO, cast


class PipeGuard:
    """Wraps a text stream: writes and flushes after its reader left are silently dropped."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.gone = False

    def write(self, text: str) -> int:
        """Write `text` (or drop it once the reader left); returns len(text) either way."""
        if not self.gone:
            try:
                return self.stream.write(text)
            except BrokenPipeError:
                self._reader_left()
        return len(text)

    def writelines(self, lines: Iterable[str]) -> None:
        """Write each line."""
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        """Flush, unless the reader left."""
        if not self.gone:
            try:
                self.stream.flush()
            except BrokenPipeError:
                self._reader_left()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)

    def _reader_left(self) -> None:
        self.gone = True
        # Whatever is still buffered then drains into /dev/null, also at interpreter exit.
        with contextlib.suppress(OSError, ValueError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            try:
                os.dup2(devnull, self.stream.fileno())
            finally:
                os.close(devnull)


@contextlib.contextmanager
def guarded_stdout() -> Iterator[PipeGuard]:
    """`sys.stdout` behind a PipeGuard for the block (flushed, then restored, on the way out)."""
    original = sys.stdout
    guard = PipeGuard(original)
    sys.stdout = cast(TextIO, guard)
    try:
        yield guard
    finally:
        guard.flush()
        sys.stdout = original


def reader_gone() -> bool:
    """True once stdout's reader closed the pipe (only under `guarded_stdout`)."""
    return isinstance(sys.stdout, PipeGuard) and sys.stdout.gone
