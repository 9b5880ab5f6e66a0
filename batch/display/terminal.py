"""One console policy for every command: colour and width on a terminal, plain text elsewhere.

rich already honours `NO_COLOR`, `FORCE_COLOR` and `TERM=dumb`; off a terminal it writes no
escape codes. A pipe or log file gets a wide console instead of rich's 80 columns, so a table
written to a file is never wrapped mid-id.
"""

from __future__ import annotations

from typing import TextIO

from rich.console import Console, RenderableType

PLAIN_WIDTH = 400
"""Columns of a non-terminal console: tables keep one line per row in a file or pipe."""

STYLES: dict[str, str] = {
    "succeeded": "green",
    "already_done": "cyan",
    "skipped": "yellow",
    "failed": "bold red",
    "not run": "magenta",
    "will-apply": "green",
    "already-done": "cyan",
    "not-found": "bold red",
    "forbidden": "bold red",
    "error": "bold red",
    "unknown": "yellow",
}
"""The colour of each outcome (run, report) and classification (plan), everywhere."""

SHORT: dict[str, str] = {
    "already_done": "already",
    "will-apply": "apply",
    "already-done": "done",
    "throttled": "429s",
}
"""Labels for a progress line that would not fit the terminal with the full names."""


def console_for(stream: TextIO) -> Console:
    """A rich console writing to `stream`; markup off, so `[...]` in data stays text."""
    tty = stream.isatty()
    return Console(
        file=stream,
        width=None if tty else PLAIN_WIDTH,
        markup=False,
        emoji=False,
        highlight=False,
        soft_wrap=False,
    )


def show(stream: TextIO, *renderables: RenderableType) -> None:
    """Print `renderables` to `stream` with its console (colour only on a terminal)."""
    console = console_for(stream)
    for renderable in renderables:
        console.print(renderable)


def as_text(stream: TextIO, *renderables: RenderableType) -> str:
    """What `show` would print to `stream`, as a string (for writers that take text)."""
    console = console_for(stream)
    with console.capture() as captured:
        for renderable in renderables:
            console.print(renderable)
    return captured.get()
