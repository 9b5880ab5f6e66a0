"""Ctrl-C and termination, the same on every platform: the one place that touches signals.

`loop.add_signal_handler` exists only on Unix selector loops (Windows' proactor loop raises
`NotImplementedError`), so handlers are installed with `signal.signal` and hand the interrupt to
the event loop with `call_soon_threadsafe`: the Python-level handler runs between bytecodes of
the main thread, where touching loop state directly is unsafe. Every command that runs an event
loop (run, plan, whoami, sandbox, and any to come) takes its interrupts from here.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import TypeVar

from batch.errors import RunInterruptedError

T = TypeVar("T")

SIGNALS: tuple[signal.Signals, ...] = tuple(
    sig
    for name in ("SIGINT", "SIGTERM", "SIGBREAK")  # SIGBREAK: Ctrl-Break, Windows only
    if (sig := getattr(signal, name, None)) is not None
)
"""The signals that mean "stop", where the platform has them."""


class Interrupts:
    """`with Interrupts() as interrupts:` inside a running loop: a signal becomes a loop call.

    `received` counts the signals seen so far. Each is forwarded to the innermost listener
    installed with `forward_to`; `guard` runs one awaitable that a signal cancels. Outside the
    main thread, where `signal.signal` is refused, nothing is installed and Ctrl-C stays
    Python's `KeyboardInterrupt`.
    """

    def __init__(self) -> None:
        self.received = 0
        self._listeners: list[Callable[[], object]] = []
        self._previous: dict[signal.Signals, signal.Handlers | Callable[..., object] | int] = {}
        self._active = False

    def __enter__(self) -> Interrupts:
        loop = asyncio.get_running_loop()

        def on_signal(signum: int, frame: FrameType | None) -> None:
            loop.call_soon_threadsafe(self._deliver)

        try:
            for sig in SIGNALS:
                previous = signal.signal(sig, on_signal)
                self._previous[sig] = signal.SIG_DFL if previous is None else previous
        except ValueError:
            pass  # Not the main thread: leave the process's handling as it is.
        self._active = True
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._active = False  # A hand-off already queued must not act after this.
        for sig, previous in self._previous.items():
            signal.signal(sig, previous)
        self._previous.clear()

    def _deliver(self) -> None:
        if not self._active:
            return
        self.received += 1
        if self._listeners:
            self._listeners[-1]()

    @contextmanager
    def forward_to(self, listener: Callable[[], object]) -> Iterator[None]:
        """While inside, each signal calls `listener()` on the loop (the innermost one wins)."""
        self._listeners.append(listener)
        try:
            yield
        finally:
            self._listeners.remove(listener)

    async def guard(self, awaitable: Awaitable[T]) -> T:
        """Await `awaitable`; a signal (also one received before) cancels it instead.

        Raises `RunInterruptedError` (exit 130) when a signal cancelled it.
        """
        task = asyncio.ensure_future(awaitable)
        if self.received:
            task.cancel()
        with self.forward_to(task.cancel):
            try:
                return await task
            except asyncio.CancelledError:
                current = asyncio.current_task()
                if not task.cancelled() or (current is not None and current.cancelling()):
                    raise  # Cancelled from outside, not by a signal: not ours to absorb.
                raise RunInterruptedError("interrupted") from None


async def cancel_on_interrupt(awaitable: Awaitable[T]) -> T:
    """Await `awaitable`; Ctrl-C/SIGTERM cancel it and raise `RunInterruptedError` (exit 130)."""
    with Interrupts() as interrupts:
        return await interrupts.guard(awaitable)
