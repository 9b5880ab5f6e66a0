"""Terminal output parts: the progress display, the shared counts table, the colour policy."""

from __future__ import annotations

import asyncio
import io
import json
import re

import pytest
from rich.console import Console

from batch.display.progress import Progress
from batch.display.tables import counts_table
from batch.display.terminal import as_text
from batch.operations import RequestClass
from tests.fake_clock import FakeClock

OUTCOMES = ("succeeded", "already_done", "skipped", "failed")
COLOUR = re.compile(r"\x1b\[(?:\d+;)*3[0-7](?:;\d+)*m")
"""An SGR sequence setting a foreground colour (NO_COLOR still allows bold)."""


class TtyIO(io.StringIO):
    """A string stream that says it is a terminal."""

    def isatty(self) -> bool:
        """Pretend to be a terminal."""
        return True


def make_progress(total: int = 100, *, writes: int = 100, reads: int = 0) -> Progress:
    """A progress over `writes` writes and `reads` reads, paced at 2 writes/s and 10 reads/s."""
    rates = {RequestClass.WRITE: 2.0, RequestClass.READ: 10.0}
    return Progress(
        total,
        io.StringIO(),
        live=False,
        clock=FakeClock(),
        categories=OUTCOMES,
        planned={RequestClass.WRITE: writes, RequestClass.READ: reads},
        rate=rates.__getitem__,
        throttled=lambda: 3,
    )


def test_eta_comes_from_the_pacers_rate_not_the_running_average() -> None:
    """ETA = rows left to send / the pacer's rate, the slowest class deciding; time is ignored."""
    progress = make_progress(writes=100, reads=50)
    for _ in range(20):
        progress.row_done("succeeded", RequestClass.WRITE)
    assert progress.eta() == pytest.approx(40.0)
    progress._clock.time += 1000  # type: ignore[attr-defined]
    assert progress.eta() == pytest.approx(40.0)
    progress.row_done("skipped")  # a row the selection skipped sends nothing
    assert progress.eta() == pytest.approx(40.0)


def test_rows_not_run_do_not_fill_the_bar() -> None:
    """After a stop the unrun rows are counted apart: 3/10 stays 3/10, not 100 %."""
    progress = make_progress(10, writes=10)
    for _ in range(3):
        progress.row_done("succeeded", RequestClass.WRITE)
    progress.stop("interrupted")
    for _ in range(7):
        progress.not_run()
    line = progress.line()
    assert "3/10" in line
    assert "30%" in line
    assert "not run 7" in line
    assert "100%" not in line
    assert progress.eta() is None


@pytest.mark.parametrize("width", [40, 45, 70, 120])
def test_live_display_fits_the_terminal(width: int) -> None:
    """On a terminal of any width the display is exactly two lines, none wider than it."""
    progress = make_progress(12_345, writes=12_345)
    for _ in range(1_234):
        progress.row_done("succeeded", RequestClass.WRITE)
    console = Console(file=io.StringIO(), width=width, force_terminal=True, color_system=None)
    with console.capture() as captured:
        console.print(progress)
    lines = captured.get().splitlines()
    assert len(lines) == 2
    assert all(len(line) <= width for line in lines)
    assert "1,234/12,345" in lines[0]
    if width >= 45:  # failures and 429s stay in sight down to 45 columns
        assert "failed 0" in lines[1]
        assert "throttled 3" in lines[1] or "429s 3" in lines[1]


@pytest.mark.parametrize("as_json", [False, True])
async def test_periodic_line_follows_the_log_format(as_json: bool) -> None:
    """Off a terminal the periodic line is text, or a JSON `progress` event (json format)."""
    stream = io.StringIO()
    progress = Progress(
        4,
        stream,
        live=False,
        clock=FakeClock(),
        categories=OUTCOMES,
        planned={RequestClass.WRITE: 4},
        rate=lambda _: 1.0,
        as_json=as_json,
    )
    progress.row_done("succeeded", RequestClass.WRITE)
    progress.row_done("failed", RequestClass.WRITE)
    reporter = asyncio.create_task(progress.report_until_cancelled())
    for _ in range(10):
        await asyncio.sleep(0)
        if stream.getvalue():
            break
    reporter.cancel()
    await asyncio.gather(reporter, return_exceptions=True)
    line = stream.getvalue().splitlines()[0]
    if as_json:
        event = json.loads(line)
        assert event["event"] == "progress"
        assert (event["done"], event["total"], event["failed"], event["eta_s"]) == (2, 4, 1, 2.0)
        assert event["counts"] == {"succeeded": 1, "already_done": 0, "skipped": 0, "failed": 1}
    else:
        assert line.startswith("graph-batch: progress 2/4")
        assert "\x1b" not in line


def test_counts_table_orders_ops_and_separates_thousands() -> None:
    """Ops in the documented order whatever order they came in; counts with separators."""
    table = counts_table(
        {"get-session": {"succeeded": 1_500}, "cancel": {"failed": 2}},
        OUTCOMES,
        totals={"succeeded": 1_500, "failed": 2},
    )
    text = as_text(io.StringIO(), table)
    assert text.index("cancel") < text.index("get-session") < text.index("total")
    assert "1,500" in text
    assert text.splitlines()[0].split() == ["op", *OUTCOMES]


@pytest.mark.parametrize(
    ("tty", "no_color", "coloured"),
    [(True, False, True), (True, True, False), (False, False, False)],
)
def test_colour_only_on_a_terminal_without_no_color(
    monkeypatch: pytest.MonkeyPatch, tty: bool, no_color: bool, coloured: bool
) -> None:
    """Outcome colours reach a terminal; NO_COLOR and pipes/files get plain text."""
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    if no_color:
        monkeypatch.setenv("NO_COLOR", "1")
    else:
        monkeypatch.delenv("NO_COLOR", raising=False)
    stream = TtyIO() if tty else io.StringIO()
    text = as_text(stream, counts_table({"cancel": {"failed": 2}}, OUTCOMES))
    assert bool(COLOUR.search(text)) is coloured
