"""Who can answer the confirmation: a person at a terminal, even when stdout is piped to a log."""

from __future__ import annotations

import io

from batch.run.console import Console
from tests.run_helpers import FakeTerminal


def test_piped_stdout_still_asks_on_the_terminal() -> None:
    """`run job.csv | tee log`: stdin and stderr are the terminal, so the question goes there."""
    console = Console(out=io.StringIO(), err=FakeTerminal(), inp=FakeTerminal())
    assert console.interactive
    assert console.prompt is console.err


def test_terminal_stdout_gets_the_question() -> None:
    """On a plain terminal the question is on stdout, as before."""
    console = Console(out=FakeTerminal(), err=FakeTerminal(), inp=FakeTerminal())
    assert console.interactive
    assert console.prompt is console.out


def test_no_terminal_input_cannot_confirm() -> None:
    """Without a terminal on stdin nobody can answer, whatever the outputs are."""
    console = Console(out=FakeTerminal(), err=FakeTerminal(), inp=io.StringIO())
    assert not console.interactive
