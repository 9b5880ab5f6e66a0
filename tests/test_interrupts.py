"""batch.interrupts: signals reach the event loop through signal.signal, on any event loop."""

from __future__ import annotations

import asyncio
import signal

import pytest

from batch.errors import RunInterruptedError
from batch.interrupts import SIGNALS, Interrupts, cancel_on_interrupt


async def _a_tick() -> None:
    """Let the loop run the hand-off queued by the signal handler."""
    for _ in range(3):
        await asyncio.sleep(0)


@pytest.mark.parametrize("sig", SIGNALS)
async def test_each_signal_reaches_the_innermost_listener(sig: signal.Signals) -> None:
    """Ctrl-C, SIGTERM (and Ctrl-Break where it exists) call the innermost listener only."""
    calls: list[str] = []
    with Interrupts() as interrupts, interrupts.forward_to(lambda: calls.append("outer")):
        with interrupts.forward_to(lambda: calls.append("inner")):
            signal.raise_signal(sig)
            await _a_tick()
        signal.raise_signal(sig)
        await _a_tick()
    assert calls == ["inner", "outer"]
    assert interrupts.received == 2


async def test_handlers_are_restored_on_exit() -> None:
    """Leaving the block puts back whatever handled each signal before."""
    before = {sig: signal.getsignal(sig) for sig in SIGNALS}
    with Interrupts():
        assert all(signal.getsignal(sig) is not before[sig] for sig in SIGNALS)
    assert {sig: signal.getsignal(sig) for sig in SIGNALS} == before


async def test_a_hand_off_still_queued_at_exit_does_nothing() -> None:
    """A signal caught just before the block ends is not delivered after it."""
    calls: list[str] = []
    with Interrupts() as interrupts, interrupts.forward_to(lambda: calls.append("late")):
        signal.raise_signal(signal.SIGINT)  # queued with call_soon_threadsafe, not yet run
    await _a_tick()
    assert (calls, interrupts.received) == ([], 0)


async def test_works_where_the_loop_has_no_signal_handlers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Nothing relies on loop.add_signal_handler (Windows' proactor loop lacks it)."""
    loop = asyncio.get_running_loop()

    def refuse(*args: object) -> None:
        raise NotImplementedError

    monkeypatch.setattr(loop, "add_signal_handler", refuse)
    monkeypatch.setattr(loop, "remove_signal_handler", refuse)
    stop = asyncio.Event()
    with Interrupts() as interrupts, interrupts.forward_to(stop.set):
        signal.raise_signal(signal.SIGINT)
        await asyncio.wait_for(stop.wait(), timeout=5)


async def test_guard_cancels_the_awaited_work_and_says_so() -> None:
    """A signal cancels what `guard` awaits and raises RunInterruptedError (exit 130)."""
    started = asyncio.Event()
    cancelled = asyncio.Event()

    async def sign_in() -> str:
        started.set()
        try:
            await asyncio.Event().wait()
        finally:
            cancelled.set()
        return "token"

    async def interrupt_when_started() -> None:
        await started.wait()
        signal.raise_signal(signal.SIGTERM)

    killer = asyncio.create_task(interrupt_when_started())
    with pytest.raises(RunInterruptedError):
        await cancel_on_interrupt(sign_in())
    await killer
    assert cancelled.is_set()


async def test_guard_after_a_signal_starts_nothing() -> None:
    """Once interrupted, a guarded step is cancelled before it runs a line."""
    ran: list[bool] = []

    async def preflight() -> None:
        ran.append(True)

    with Interrupts() as interrupts:
        signal.raise_signal(signal.SIGINT)
        await _a_tick()
        with pytest.raises(RunInterruptedError):
            await interrupts.guard(preflight())
    assert ran == []


async def test_guard_passes_results_through() -> None:
    """Without a signal, `guard` is a plain await."""
    with Interrupts() as interrupts:
        assert await interrupts.guard(asyncio.sleep(0, result="token")) == "token"


async def test_outside_cancellation_is_not_taken_for_an_interrupt() -> None:
    """Cancelling the caller cancels it (CancelledError), not RunInterruptedError."""
    with Interrupts() as interrupts:
        task = asyncio.create_task(interrupts.guard(asyncio.Event().wait()))
        await _a_tick()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
