"""`batch.http.seats`: a retry wait gives its seat up, takes one again in turn, and no path
(cancellation, a task outliving its seat, a wait outside any seat) leaks or invents one."""

from __future__ import annotations

import asyncio

import pytest

from batch.http.seats import Seats, seatless


class Gate:
    """A `sleep` that lasts until the test opens it, whatever the seconds asked."""

    def __init__(self) -> None:
        self.entered = asyncio.Event()
        self.opened = asyncio.Event()

    async def sleep(self, seconds: float) -> None:
        """Wait for `open`."""
        self.entered.set()
        await self.opened.wait()


async def _free(seats: Seats) -> int:
    """How many rows can hold a seat at once right now (more than `count`: one leaked)."""
    inside = most = 0
    release = asyncio.Event()

    async def hold() -> None:
        nonlocal inside, most
        async with seats.taken():
            inside += 1
            most = max(most, inside)
            await release.wait()
            inside -= 1

    holders = [asyncio.create_task(hold()) for _ in range(seats.count + 2)]
    await asyncio.sleep(0.01)
    release.set()
    await asyncio.sleep(0.01)
    for holder in holders:
        holder.cancel()  # Those still queueing: a seat someone kept would hold them forever.
    await asyncio.gather(*holders, return_exceptions=True)
    return most


async def test_a_row_waiting_to_retry_lets_another_take_its_seat_and_queues_behind() -> None:
    """With one seat, B runs while A waits out its retry; A then takes the seat after C,
    which was already waiting."""
    seats, gate, order = Seats(1), Gate(), []

    async def a() -> None:
        async with seats.taken():
            order.append("a sends")
            await seatless(gate.sleep)(10)
            order.append("a re-sends")

    async def row(name: str, until: asyncio.Event) -> None:
        async with seats.taken():
            order.append(f"{name} sends")
            await until.wait()

    b_done, c_done = asyncio.Event(), asyncio.Event()
    task_a = asyncio.create_task(a())
    await gate.entered.wait()
    task_b = asyncio.create_task(row("b", b_done))
    await asyncio.sleep(0)
    task_c = asyncio.create_task(row("c", c_done))
    await asyncio.sleep(0.01)
    gate.opened.set()  # A's wait is over while B holds the seat and C waits for it.
    await asyncio.sleep(0.01)
    b_done.set()
    await asyncio.sleep(0.01)
    c_done.set()
    await asyncio.gather(task_a, task_b, task_c)
    assert order == ["a sends", "b sends", "c sends", "a re-sends"]
    assert await _free(seats) == 1


@pytest.mark.parametrize("cancel_while", ["asleep", "waiting for a seat"])
async def test_a_cancelled_wait_leaves_every_seat_free(cancel_while: str) -> None:
    """A row cancelled during its retry wait, or while queueing for a seat after it, gives
    back exactly what it holds: every seat is free afterwards, none extra."""
    seats, gate = Seats(2), Gate()
    others_go = asyncio.Event()

    async def retrying() -> None:
        async with seats.taken():
            await seatless(gate.sleep)(10)

    async def other() -> None:
        async with seats.taken():
            await others_go.wait()

    task = asyncio.create_task(retrying())
    await gate.entered.wait()
    others = [asyncio.create_task(other()) for _ in range(2)]
    await asyncio.sleep(0.01)
    if cancel_while == "waiting for a seat":
        gate.opened.set()
        await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    others_go.set()
    await asyncio.gather(*others)
    assert await _free(seats) == 2


@pytest.mark.parametrize("starts_waiting", ["before", "after"])
async def test_a_task_outliving_its_seat_neither_gives_back_nor_keeps_one(
    starts_waiting: str,
) -> None:
    """A read shared by rows (a plan's cache) that waits to retry before or after the row that
    started it left its seat gives back no seat twice and keeps none."""
    seats, gate = Seats(1), Gate()
    row_left = asyncio.Event()
    reads: list[asyncio.Task[None]] = []

    async def shared_read() -> None:
        if starts_waiting == "after":
            await row_left.wait()
        await seatless(gate.sleep)(10)

    async def row() -> None:
        async with seats.taken():
            reads.append(asyncio.create_task(shared_read()))
            if starts_waiting == "before":
                await gate.entered.wait()

    await row()
    row_left.set()
    await gate.entered.wait()
    assert await _free(seats) == 1
    gate.opened.set()
    await reads[0]
    assert await _free(seats) == 1


async def test_a_wait_outside_any_seat_just_sleeps() -> None:
    """Pre-flight's retries run before any row holds a seat: waiting gives nothing back."""
    seats, gate = Seats(1), Gate()
    gate.opened.set()
    await seatless(gate.sleep)(1)
    assert await _free(seats) == 1
