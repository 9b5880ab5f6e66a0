"""Counting what a listing has read, shown live on a terminal (pages, items, matched)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from rich.status import Status


@dataclass
class Tally:
    """Pages and items read, items matched, and items a time filter could not judge."""

    pages: int = 0
    items: int = 0
    matched: int = 0
    undated: int = 0
    """Items without a readable `startDateTime` while a time filter was given (not matched)."""

    def line(self) -> str:
        """`3 pages, 1,250 items, 12 matched`."""
        return (
            f"{_count(self.pages, 'page')}, {_count(self.items, 'item')}, {self.matched:,} matched"
        )


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


@dataclass
class LiveProgress:
    """A one-line rich status on a terminal, redrawn as pages arrive; nothing elsewhere."""

    stream: TextIO
    tally: Tally = field(default_factory=Tally)
    _status: Status | None = None

    def __enter__(self) -> LiveProgress:
        if self.stream.isatty():
            from batch.display.terminal import console_for  # noqa: PLC0415 - rich on a terminal

            self._status = console_for(self.stream).status(self._text())
            self._status.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._status is not None:
            self._status.stop()

    def _text(self) -> str:
        return f"listing: {self.tally.line()}"

    def update(self) -> None:
        """Redraw with the current counts."""
        if self._status is not None:
            self._status.update(self._text())
