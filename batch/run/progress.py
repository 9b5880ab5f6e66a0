"""Progress for people: a live one-line bar on a terminal, a periodic log line otherwise.

With `--log-format json` the periodic line is a JSON object like the other diagnostics, so a
log collector reading stderr never meets a line it cannot parse.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TextIO

from batch.audit.records import Outcome
from batch.durations import format_duration
from batch.http.pacing import Clock

TTY_REFRESH = 0.25
LOG_EVERY_SECONDS = 10.0
_BAR_WIDTH = 24


class Progress:
    """Counts finished rows and reports them to `stream` while the run goes on."""

    def __init__(
        self,
        total: int,
        stream: TextIO,
        *,
        live: bool,
        clock: Clock,
        throttled: Callable[[], int] = lambda: 0,
        paced_seconds: Callable[[int], float] = lambda left: 0.0,
        as_json: bool = False,
    ) -> None:
        self.total = total
        self.counts: Counter[Outcome] = Counter()
        self._stream = stream
        self._live = live
        self._clock = clock
        self._throttled = throttled
        self._paced_seconds = paced_seconds
        """Least seconds the pacers' learned rates need for N more rows."""
        self._as_json = as_json
        self._started = clock.now()

    def row_done(self, outcome: Outcome) -> None:
        """Count one finished row."""
        self.counts[outcome] += 1

    def _rate(self) -> tuple[int, float]:
        done = sum(self.counts.values())
        return done, done / max(self._clock.now() - self._started, 1e-9)

    def eta(self) -> float | None:
        """Seconds left: the pace so far, but never less than the learned rates allow."""
        done, rate = self._rate()
        if rate <= 0:
            return None
        left = self.total - done
        return max(left / rate, self._paced_seconds(left))

    def fields(self) -> dict[str, Any]:
        """The current progress as the fields of a JSON `progress` event."""
        done, rate = self._rate()
        eta = self.eta()
        return {
            "done": done,
            "total": self.total,
            "rows_per_s": round(rate, 2),
            "eta_s": round(eta, 1) if eta is not None else None,
            "failed": self.counts[Outcome.FAILED],
            "throttled": self._throttled(),
        }

    def line(self) -> str:
        """The current progress as one line of text."""
        done, rate = self._rate()
        seconds = self.eta()
        eta = format_duration(seconds) if seconds is not None else "?"
        failed = self.counts[Outcome.FAILED]
        share = done / self.total if self.total else 1.0
        filled = round(share * _BAR_WIDTH)
        bar = "#" * filled + "." * (_BAR_WIDTH - filled)
        return (
            f"[{bar}] {done}/{self.total} {share:4.0%}  {rate:.1f} rows/s  ETA {eta}  "
            f"failed {failed}  throttled {self._throttled()}"
        )

    async def report_until_cancelled(self) -> None:
        """Redraw (terminal) or log (otherwise) until the task is cancelled."""
        every = TTY_REFRESH if self._live else LOG_EVERY_SECONDS
        try:
            while True:
                await self._clock.sleep(every)
                self._emit()
        finally:
            self._emit(final=True)

    def _emit(self, *, final: bool = False) -> None:
        if self._live:
            self._stream.write("\r" + self.line() + ("\n" if final else ""))
        elif not final:
            self._stream.write(self._log_line())
        self._stream.flush()

    def _log_line(self) -> str:
        if not self._as_json:
            return f"graph-batch: progress {self.line()}\n"
        stamp = datetime.now(UTC).isoformat().replace("+00:00", "Z")
        event = {"event": "progress", "level": "info", "timestamp": stamp} | self.fields()
        return json.dumps(event) + "\n"
