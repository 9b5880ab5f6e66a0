"""The question before a destructive run, asked after sign-in (terraform's plan-then-apply).

The user answers knowing who the token speaks for, where the requests go, what will change and
how long it takes; a missing token fails before the question, never after a "yes".
"""

from __future__ import annotations

import signal
import threading

from batch.auth.base import AccessToken
from batch.auth.describe import describe_token
from batch.display.terminal import show
from batch.errors import RunInterruptedError, UsageError
from batch.run.console import Console
from batch.run.overview import destructive_count, overview
from batch.run.selection import Survey
from batch.run.settings import RunSettings
from batch.safe_text import for_terminal


def confirm(
    manifest: str, survey: Survey, settings: RunSettings, token: AccessToken, console: Console
) -> None:
    """Show who/where/what/how long and ask when rows change something.

    Raises UsageError (exit 2) unless the answer is yes, RunInterruptedError (130) on Ctrl-C.
    """
    if not destructive_count(survey):
        return
    print(for_terminal(f"About to run {manifest}:"), file=console.prompt)
    show(console.prompt, overview(survey, settings, describe_token(token)))
    console.prompt.write("Proceed? [y/N] ")
    console.prompt.flush()
    try:
        answer = _read_answer(console)
    except KeyboardInterrupt:
        console.prompt.write("\n")
        raise RunInterruptedError("interrupted at the question; nothing was sent") from None
    if answer.strip().lower() not in {"y", "yes"}:
        raise UsageError("not confirmed; nothing was sent")


def _read_answer(console: Console) -> str:
    """One line from the user; Ctrl-C stops the wait at once.

    asyncio's own Ctrl-C handler only cancels the running task, which a blocking read never
    notices, so for the read Python's default handler (KeyboardInterrupt) is put back.
    """
    if threading.current_thread() is not threading.main_thread():
        return console.inp.readline()
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        return console.inp.readline()
    finally:
        signal.signal(signal.SIGINT, previous)


def check_confirmable(planned: Survey, settings: RunSettings, console: Console) -> None:
    """Refuse before sign-in a destructive run no one can confirm (no terminal, no --yes)."""
    destructive = destructive_count(planned)
    if destructive and not settings.yes and not console.interactive:
        raise UsageError(
            f"{destructive:,} destructive operations and no terminal to confirm them: pass "
            "--yes (or set GRAPH_BATCH_YES=1) to run unattended; nothing was sent"
        )
