"""Progress for people: a live two-line display on a terminal, a periodic line otherwise.

On a terminal rich redraws the display in place (no leftovers, no new line per refresh) and
fits it to the width; the ETA divides the rows left to send by the pacer's learned rate, so
it does not swing with the running average. Rows a stop leaves unrun are counted apart ("not
run") and never move the bar, so an interrupted run does not jump to 100 %. Off a terminal a
line every `LOG_EVERY_SECONDS`, a JSON `progress` event with `--log-format json`.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, TextIO

from rich.console import Console, ConsoleOptions, Group, RenderResult
from rich.live import Live
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from batch.display.tables import count
from batch.display.terminal import SHORT, STYLES, console_for
from batch.durations import format_duration
from batch.http.pacing import Clock
from batch.operations import RequestClass

TTY_REFRESH = 0.25
LOG_EVERY_SECONDS = 10.0
NOT_RUN = "not run"
_MIN_BAR = 10


class Progress:
    """Counts finished rows per category (outcome or classification) and shows them.

    `planned` is how many rows of each request class will be sent; `rate(class)` is the rows per
    second its pacer sends now (the ETA's divisor); `throttled()` the 429s so far.
    """

    def __init__(
        self,
        total: int,
        stream: TextIO,
        *,
        live: bool,
        clock: Clock,
        categories: Sequence[str],
        planned: Mapping[RequestClass, int],
        rate: Callable[[RequestClass], float],
        throttled: Callable[[], int] = lambda: 0,
        as_json: bool = False,
        verb: str = "Running",
    ) -> None:
        self.total = total
        self.counts: Counter[str] = Counter(dict.fromkeys(categories, 0))
        self.stopped: str | None = None
        self.finished = False
        self._categories = tuple(categories)
        self._planned = dict(planned)
        self._sent: Counter[RequestClass] = Counter()
        self._rate = rate
        self._stream = stream
        self._live = live
        self._clock = clock
        self._throttled = throttled
        self._as_json = as_json
        self._verb = verb
        self._started = clock.now()

    def row_done(self, category: str, request_class: RequestClass | None = None) -> None:
        """Count one finished row; `request_class` when it was one of the `planned` sends."""
        self.counts[category] += 1
        if request_class is not None:
            self._sent[request_class] += 1

    def not_run(self) -> None:
        """Count one row a stop left unrun (it does not advance the bar)."""
        self.counts[NOT_RUN] += 1

    def stop(self, why: str) -> None:
        """The run stopped taking rows (`why`: interrupted, deadline, ...)."""
        self.stopped = self.stopped or why

    @property
    def done(self) -> int:
        """Rows finished, not counting rows a stop left unrun."""
        return sum(n for name, n in self.counts.items() if name != NOT_RUN)

    def eta(self) -> float | None:
        """Seconds left at the pacers' rates (the slowest class decides); None when unknown."""
        if self.stopped:
            return None
        seconds = 0.0
        for request_class, planned in self._planned.items():
            left = max(0, planned - self._sent[request_class])
            if left:
                rate = self._rate(request_class)
                if rate <= 0:
                    return None
                seconds = max(seconds, left / rate)
        return seconds

    def fields(self) -> dict[str, Any]:
        """The current progress as the fields of a JSON `progress` event."""
        elapsed = max(self._clock.now() - self._started, 1e-9)
        eta = self.eta()
        counts = {name: self.counts[name] for name in self._categories}
        failed = {"failed": self.counts["failed"]} if "failed" in self._categories else {}
        return {
            "done": self.done,
            "total": self.total,
            "rows_per_s": round(self.done / elapsed, 2),
            "eta_s": None if eta is None else round(eta, 1),
            **failed,
            "not_run": self.counts[NOT_RUN],
            "counts": counts,
            "throttled": self._throttled(),
        }

    def _share(self) -> float:
        return self.done / self.total if self.total else 1.0

    def _head(self) -> str:
        eta = self.eta()
        when = f"ETA {format_duration(eta)}" if eta is not None else ""
        if self.finished:
            when = f"in {format_duration(self._clock.now() - self._started)}"
        return f"{count(self.done)}/{count(self.total)} {self._share():4.0%}  {when}".rstrip()

    def _count_parts(self) -> list[tuple[str, int]]:
        parts = [(name, self.counts[name]) for name in self._categories]
        if self.counts[NOT_RUN]:
            parts.append((NOT_RUN, self.counts[NOT_RUN]))
        return parts

    def line(self) -> str:
        """The current progress as one line of plain text."""
        return f"{self._head()}  {self.counts_text().plain.strip()}"

    def counts_text(self, *, tier: int = 0) -> Text:
        """The per-category counts in colour, then the throttled count.

        `tier` 0 is the full form; 1 single-spaces it and says `429s`; 2 also uses the short
        labels; 3 leaves out zero counts (but always shows failures and 429s): each for
        terminals too narrow for the one before.
        """
        gap = "  " if tier == 0 else " "
        text = Text(gap, no_wrap=True, overflow="ellipsis")
        throttled = self._throttled()
        for name, n in [*self._count_parts(), ("throttled", throttled)]:
            if tier == 3 and not n and name not in {"failed", "throttled"}:
                continue
            brief = tier >= 2 or (tier == 1 and name == "throttled")
            label = SHORT.get(name, name) if brief else name
            text.append(f"{label} ", style="dim")
            text.append(count(n), style=STYLES.get(name, "yellow") if n else "")
            text.append(gap)
        text.rstrip()
        return text

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        """Two lines fitted to the width: verb, bar, done/total, ETA; then the counts."""
        head = Text(self._head(), no_wrap=True, overflow="ellipsis")
        verb = self._verb
        if self.stopped:
            verb = f"Stopped ({self.stopped})"
        elif self.finished:
            verb = "Done" if self.done >= self.total else "Stopped"
        room = options.max_width - len(verb) - len(head.plain) - 4
        grid = Table.grid(padding=(0, 1))
        grid.add_column(no_wrap=True)
        if room >= _MIN_BAR:
            grid.add_column(width=room)
        grid.add_column(no_wrap=True)
        cells: list[Any] = [Text(verb, style="bold")]
        if room >= _MIN_BAR:
            cells.append(ProgressBar(total=max(self.total, 1), completed=self.done, width=room))
        grid.add_row(*cells, head)
        # Two columns spare: a `^C` echoed after the last line must not wrap it.
        room_for_counts = options.max_width - 2
        counts = self.counts_text()
        for tier in (1, 2, 3):
            if counts.cell_len <= room_for_counts:
                break
            counts = self.counts_text(tier=tier)
        yield Group(grid, counts)

    async def report_until_cancelled(self) -> None:
        """Redraw (terminal) or log (otherwise) until the task is cancelled."""
        if self._live:
            await self._redraw_until_cancelled(console_for(self._stream))
            return
        while True:
            await self._clock.sleep(LOG_EVERY_SECONDS)
            self._stream.write(self._log_line())
            self._stream.flush()

    async def _redraw_until_cancelled(self, console: Console) -> None:
        # No refresh thread: the event loop redraws, so counts never change mid-render. Writes
        # to sys.stderr meanwhile (diagnostics) are printed above the display, not into it.
        with Live(self, console=console, auto_refresh=False, redirect_stdout=False) as live:
            try:
                while True:
                    live.refresh()
                    await self._clock.sleep(TTY_REFRESH)
            finally:
                self.finished = True
                live.refresh()

    def _log_line(self) -> str:
        if not self._as_json:
            return f"graph-batch: progress {self.line()}\n"
        stamp = datetime.now(UTC).isoformat().replace("+00:00", "Z")
        event = {"event": "progress", "level": "info", "timestamp": stamp} | self.fields()
        return json.dumps(event) + "\n"
