"""Client-side pacing that learns the rate Graph really admits: one `Pacer` per request class.

Graph's budget is per app across all tenants, so the rate a run is admitted at is unknown and
moves as other runs start and stop. The configured limit is therefore a **ceiling**; the pacer
learns the *admitted level* (requests per window the server lets this run have) below it. The
rule is additive-increase/multiplicative-decrease as in TCP congestion control (RFC 5681 §3.1;
Chiu and Jain 1989 for why it shares fairly), with the increase done by probing as in BIC
(Xu, Harfoush and Rhee, INFOCOM 2004) so a freed budget is found quickly:

- **Decrease.** A 429 at the learned level (not a probe) means someone else took part of the
  budget: the pacer counts its answers the server admitted in the last window and settles
  at `BACK_OFF` (a half, as TCP) times that. That count is still the old budget's, so a
  gentler factor took 3 to 5 windows to follow a budget that halves (0.9: 4 windows, 0.7:
  3 to 4, 0.5: 2); the probes find any part given back too much within a window or two.
  At most one such decrease per window, and none for a 429 to a request sent before the
  last decrease: the 429s of one episode are one signal (several in a row took one run
  from 94 to 5 a window in the simulator).
- **The first window goes carefully.** Until a 429 or the end of the first window, requests
  above `FIRST_SHARE` of the ceiling go at most `FIRST_IN_FLIGHT` at a time, so the first
  429 refuses one or two requests instead of every one in flight (about `--concurrency`:
  8 of a 700-row run, most of its 429s). The price is a round trip per two of those
  requests, once: 1.010 to 1.023 of the ideal with the limit known exactly (700 rows,
  100 per 5 s); 0.3, not 0.5, so two runs starting together stay under the budget at full
  concurrency (their 429s 2.9 % to 1.4 %). Such a 429, like a refused probe, measures the
  budget (see **Probe**). A request sent before it and admitted after it was in the same
  window and counts too: with two in flight the 429 can come back first, and a level one
  short cost 700 rows at 100 per 5 s an eighth window (`make bench`: 1.197 to 1.026).
- **Once more, then wait.** A 429 to a request sent after a measured decrease, within the
  same window, steps the level down by `STEP_DOWN` once more: a token bucket's first window
  admits its burst as well as its rate, so the first reading is too high (ceiling case on a
  bucket: 4.2 % to 1.4 % 429s). More than one such step a window starved a run sharing the
  bucket with another.
- **No sample, no lesson.** A window that admitted nothing, or in which the class got
  fewer answers than half the floor (or half its level, when lower), is no measurement of
  the budget: a run's very first request can be refused because another app or run holds
  the budget at that moment, or the server's window is about to roll. Learning "0
  admitted" from it dropped the class to 1 request per window (a 4-page listing took
  91 s). Such a 429 only pauses per `Retry-After` and halves the level
  (`UNMEASURED_BACK_OFF`).
- **Floor.** Halving never takes the level below `FLOOR_SHARE` of the ceiling, so a burst
  of 429s at a window some other consumer fills costs a few refused requests, never a crawl;
  probing brings the level back up within a few windows. Only a measured window (enough
  answers, few admitted) sets a level below the floor: that is a real share of the budget.
- **Probe.** The pacer allows the level plus `PROBE_STEP` of the ceiling, and above the
  level only one request is in flight at a time: a wrong guess costs one 429 (and no pause),
  not one per request in flight. The step is the same for every run whatever its share (the
  additive increase). A refused probe sets the level to what the window admitted; while the
  run shares the budget (a 429 at its level in the last `SHARED_MEMORY` windows: someone
  else took part of it) to `PROBE_BACK_OFF` times that (the multiplicative decrease, in
  proportion to the run's own share), in whole requests. A run alone gives nothing back:
  with 5 % given back after each refused probe, 700 rows at 100 per 5 s told 150 took an
  eighth window (1.17 times the ideal; 1.02 now), and two runs started together too. Each
  probe in a row that got everything through reaches `PROBE_GROWTH`
  times further, the first such step in the probe's own window once all of the probe is
  answered: a freed budget is back in use within two windows (three to five when each step
  waited for the next window).
- **Probes are bounded per request, not per window.** A budget that stays full refuses
  every probe, so after a refused one the next waits until about `PROBE_REQUESTS` requests
  were admitted (`PROBE_REQUESTS` / level windows, at least `PROBE_EVERY`, at most
  `PROBE_WINDOWS`): refused probes stay under 1 % of requests at any level. Probing every
  other window was refused 1 / (2 x level) of the time: 6 % at 10 a window, 3.3 % at Graph's
  15 per 30 s. A run below `PROBE_SHARE` of the ceiling probes as often as one at that share,
  so a small share grows as fast as a large one (probing in proportion to the level left a
  late run at 1 request a window beside one at 8). At half a 100-per-window budget the
  next probe is two windows away; a tenth and then four tenths of the ceiling in that
  window take the level back to the whole budget.
- **The last rows.** The runner says how many rows are left (`Pacer.remaining`). No probe
  starts when they take no longer at the level than a refused probe's row would wait (the
  longest `Retry-After` seen, at least a window): the probe could gain nothing, and its row
  would finish after all the others (700 rows, 100 per 5 s told 150, every 429 asking 10 s:
  1.19 of the ideal with such probes, 1.02 without). While the run shares the budget (a 429
  at its level in the last `SHARED_MEMORY` windows), only when they fit within the level:
  the run that finishes last has to find the share the other freed (two runs on a token
  bucket: 1.36 with the longer rule, 1.21 without). And when the allowance holds back the
  run's last rows (a window's worth at the level or fewer), it probes for them at once,
  up to a window before the probe schedule would: two runs whose shards are uneven (334
  and 366 of 700 rows) each learn half the budget, and the larger one's last 16 rows
  waited a whole window beside the room the smaller one left (1.17 of the ideal; 1.02 with
  it). Once a window, not within a window of a lesson (ignoring the schedule, two runs of
  10 per 2 s took 1.18 instead of 1.04: on a budget that counts refused requests, each
  such probe took a slot the other run needed and halved it), and not when a 429 asked
  longer than a window (give or take `RETRY_AFTER_ROUNDING`: an HTTP date of 5.67 s on a
  5 s window turned it off): a refused one's row would then wait longer than the rows
  held back.

Concurrent runs on one app need not talk: each sees the other's use as throttling. A decrease
is proportional to a run's own share while probing is alike for all, so the larger share
shrinks faster and the shares converge.

The constants were chosen on the scenario matrix of `tests/measure_pacing.py` (virtual time;
sliding log, fixed window and token bucket; `Retry-After` to a free slot, the whole window
or a constant 10 s): grabbing the whole freed budget in one probe window (up to the first
429) recovered in one window but starved a run sharing a token bucket (a probe one request
at a time takes every token the moment it refills) and raised the bucket's 429s from 1 % to
9 %; `PROBE_BACK_OFF` 0.9 to 1 moved wall time by a few percent either way. `PROBE_REQUESTS`
120 rather than 100: a run alone at 100 a window probed every window, 1.0 % of its requests
refused (a 650-row run: 1.1 %); at 120 it probes every other window, 0.6 %, as fast (a
freed budget is still found within 2 windows at half of it).

The window log stamps each request at its answer. The server counted it somewhere between send
and answer, and only the answer is sure to be no earlier than that count: a slot is reused a
window after it, so the server's window has always let the request go first. Anything
earlier undercounts whenever the way in is slow and the answer quick (a loaded client or
server): stamping at the answer less half the least round trip was refused about one run in
three at the known limit. The price is one round trip per window, under 1 % at Graph's 30 s.

`Retry-After` on a 429 pauses the whole class, clamped to half a window of the ceiling: Graph
counts requests sent while throttled, and under a fixed window nothing is admitted before it
ends; but a constant `Retry-After` as long as the window itself (Microsoft's sample shows
`10`) is not about the window, and the learned level already keeps the class off the limit.

503s are not throttling: they neither pause the class nor teach the pacer anything; only the
request that got one waits its `Retry-After` (see `batch.http.transient`). Decided by
measurement, `make bench` settings (2030 writes, 100 per 2 s admitted and configured, 15 ms
latency, 3 % of writes 503 with `Retry-After: 2`, 2 % dropped after applying): pausing the
whole class on each such 503 took 3.31 times the ideal, waiting per request 1.15 times, with
no row lost either way. A 503 is one front end failing one request, not the app's budget.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Protocol

import structlog

from batch.operations import RequestClass
from batch.settings import RateLimit

log = structlog.get_logger("graph_batch.pacing")

BACK_OFF = 0.5
"""After a 429 at a learned level, the allowance is this share of the admitted level."""
STEP_DOWN = 0.9
"""A 429 again within the window after a decrease takes the level down by this, once."""
PROBE_STEP = 0.1
"""A first probe reaches this share of the ceiling above the level; the same for every run,
so runs sharing a budget grow alike while each backs off in proportion to its share."""
PROBE_GROWTH = 4
"""Each probe in a row that got through reaches this many times further than the last."""
PROBE_EVERY = 1
"""Least windows at the admitted level after a refused probe before the next may start."""
PROBE_REQUESTS = 120
"""Requests admitted (level x windows) after a refused probe before the next may start:
refused probes stay below one per this many requests whatever the level."""
PROBE_SHARE = 0.5
"""Runs below this share of the ceiling probe as often as one at it, so small shares grow."""
PROBE_WINDOWS = 12
"""Most windows between a refused probe and the next, however low the level: 12 keeps 10 a
window told 15 under 1 % refused and finds a freed budget within 6 minutes at Graph's 30 s."""
PROBE_BACK_OFF = 0.95
"""After a refused probe, the level is this share of what the window admitted: a run that
has the whole window gives a little back, so a newcomer's probes can get through. Less than
one whole request is not given back (a slot less at 15 a window costs 7 % until the next
probe: Graph's 15 per 30 s told 30 took 1.11 times the ideal with it, 1.005 without)."""
FIRST_SHARE = 0.3
"""In the first window, before anything says where the budget ends, requests above this share
of the ceiling go one at a time: the first 429 then refuses one request, not every one in
flight."""
FIRST_IN_FLIGHT = 2
"""Requests in flight at most beyond `FIRST_SHARE` in the first window."""
UNMEASURED_BACK_OFF = 0.5
"""After a 429 with too few admitted to measure, the level is this share of what it was."""
SHARED_MEMORY = 20
"""Windows after a 429 at the learned level (someone else took part of the budget) during
which a refused probe gives `PROBE_BACK_OFF` back; a run alone keeps what it measured."""
FLOOR_SHARE = 0.1
"""The level never falls below this share of the ceiling: the least a run claims, so up to
twenty runs can share one app's budget before the floor itself keeps them over it."""
SAFETY_MARGIN = 0.001
"""Seconds added to every window edge, so equal timestamps never count twice."""
RETRY_AFTER_ROUNDING = 1.0
"""Seconds a `Retry-After` in whole seconds or as an HTTP date may overstate the wait."""
ROUNDING = 1e-9
"""Seconds below which two times are the same (float rounding of virtual or monotonic time)."""


class Clock(Protocol):
    """Monotonic time and sleeping, injectable so tests never really wait."""

    def now(self) -> float:
        """Seconds on a monotonic clock."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait `seconds` (or return at once in a test)."""
        ...


class MonotonicClock:
    """The real clock: `time.monotonic` and `asyncio.sleep`."""

    def now(self) -> float:
        """Seconds on the monotonic clock."""
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        """Sleep for real."""
        await asyncio.sleep(max(0.0, seconds))


class Slot:
    """One send slot; tell it how the server answered."""

    def __init__(self, pacer: Pacer, sent: int, *, probe: bool) -> None:
        self._pacer = pacer
        self.sent = sent
        """The request's place in the class's sends (1 for the first)."""
        self.probe = probe
        """True when the request went beyond the admitted level (a probe)."""

    def throttled(self, retry_after: float | None) -> None:
        """The server answered 429: learn from it (and pause the class for `retry_after` s)."""
        self._pacer.throttled(retry_after, sent=self.sent, probe=self.probe)

    def admitted(self) -> None:
        """The server let the request through (whatever it answered)."""
        self._pacer.admitted(sent=self.sent)


class Pacer:
    """Sliding-log limiter at the learned level, plus the class-wide pause, for one class.

    At most `allowance` requests are in flight or were answered within the last window; the
    allowance is the admitted level, or while probing twice that with the part above the level
    sent one at a time. After a throttling answer the class also restarts slowly: one request
    once the pause is over, then one more in flight per admitted answer (1, 2, 3, ...), so a
    budget someone else is using up is not hit with `concurrency` requests at once.
    """

    def __init__(self, limit: RateLimit, clock: Clock, name: str = "requests") -> None:
        self.limit = limit
        """The ceiling: the configured limit, never exceeded."""
        self.name = name
        self.remaining: int | None = None
        """Rows of this class the run has still to finish, when the runner knows: no probe
        is made that a refused one's `Retry-After` would outlast, and the last rows held back
        by the allowance are probed for at once ("The last rows" above)."""
        self._clock = clock
        self._window = limit.per_seconds
        self._allowance = float(limit.count)
        self._floor = max(1.0, FLOOR_SHARE * limit.count)
        """The least level halving reaches (a measured window may go lower)."""
        self._level = float(limit.count)
        """Requests per window known to be admitted (the ceiling until a 429 says otherwise)."""
        self._stamps: deque[float] = deque()
        self._admitted: deque[float] = deque()
        self._in_flight = 0
        self._paused_until = 0.0
        self._ramp: int | None = None
        """In-flight cap while recovering from throttling; None when not recovering."""
        self._sends = 0
        """Slots handed out so far."""
        self._decreased_after = 0
        """`_sends` at the last decrease: 429s to requests sent before it are old news."""
        self._decreased_at = -math.inf
        """When the level was last decreased by a measurement (at most once a window)."""
        self._stepped_down = False
        """The level was stepped down once more since that decrease (at most once)."""
        self._next_step = -math.inf
        """When the level is next measured and a probe may start."""
        self._held = False
        """The allowance held a request back since the last step: worth probing."""
        self._probe_by = -math.inf
        """Time from which the next probe may start."""
        self._probes_through = 0
        """Probes in a row that got through (each next one reaches further)."""
        self._probed_further = False
        """This window's probe, all through, was taken one step further (once a window)."""
        self._shared_until = -math.inf
        """Until when a 429 at the learned level says someone else draws on the budget."""
        self._measured: tuple[int, float] | None = None
        """(The refused probe's place in the sends, what its window admitted) since the last
        measured budget, until the next change of level."""
        self._last_rows_probed = -math.inf
        """When the run last probed for its last rows (`_last_rows_held`)."""
        self._longest_retry_after = 0.0
        """The longest `Retry-After` a 429 of this class asked for, seconds."""
        self._first_window_ends: float | None = None
        """When the first window (from the first send) ends; None before the first send."""
        self._slot_freed = asyncio.Event()
        # A lock keeps waiters in FIFO order, so no request starves behind later ones.
        self._lock = asyncio.Lock()

    @property
    def rate(self) -> RateLimit:
        """The learned admitted level as a limit (count per the ceiling's window)."""
        return RateLimit(count=max(1, int(self._level)), per_seconds=self._window)

    @property
    def per_second(self) -> float:
        """The learned sustained rate, requests per second (what ETAs divide by)."""
        return self.rate.per_second

    @property
    def paused_until(self) -> float:
        """Monotonic time the class-wide pause ends (in the past when not paused)."""
        return self._paused_until

    def _trim(self, now: float) -> None:
        # A stamp within a nanosecond of the edge is gone: `_wait_time` treats a wait that
        # short as none, so a stamp kept here would let every waiter through at once.
        window_start = now - self._window - SAFETY_MARGIN + ROUNDING
        while self._stamps and self._stamps[0] <= window_start:
            self._stamps.popleft()
        while self._admitted and self._admitted[0] <= now - self._window:
            self._admitted.popleft()

    def _probing(self, used: int) -> bool:
        """True when the next request would go beyond the admitted level, or, in the first
        window before any 429, beyond `FIRST_SHARE` of the ceiling."""
        if self._allowance > self._level:
            return used >= int(self._level)
        return self._in_first_window() and used >= int(FIRST_SHARE * self.limit.count)

    def _beyond_in_flight(self) -> int:
        """Requests that may be in flight while the next would go beyond the admitted level."""
        return FIRST_IN_FLIGHT if self._allowance <= self._level else 1

    def _in_first_window(self) -> bool:
        ends = self._first_window_ends
        return ends is None or self._clock.now() < ends

    def _wait_time(self) -> float | None:
        """Seconds until a send is allowed (0: now; None: when an in-flight request ends)."""
        now = self._clock.now()
        self._trim(now)
        self._step(now)
        if self._ramp is not None and self._in_flight >= self._ramp:
            return None
        used = self._in_flight + len(self._stamps)
        if used >= int(self._allowance) and self._last_rows_held(now):
            self._last_rows_probed = now
            self._probe_further()
        if self._in_flight >= self._beyond_in_flight() and self._probing(used):
            self._held = True
            return None  # Beyond the admitted level: one (or FIRST_IN_FLIGHT) at a time.
        if (
            not self._in_flight
            and not self._probed_further
            and self._level < used >= int(self._allowance) > self._level
        ):
            self._probed_further = True
            self._probe_further()
        wait = self._paused_until - now
        if used >= max(1, int(self._allowance)):
            self._held = True
            if not self._stamps:
                return None
            wait = max(wait, self._stamps[0] - (now - self._window - SAFETY_MARGIN))
        # Below a nanosecond is float rounding, not time: waiting it could loop forever.
        return wait if wait > ROUNDING else 0.0

    def _last_rows_held(self, now: float) -> bool:
        """The run's last rows (no more than a window's worth at the level) are held back by
        the allowance: they would wait a whole window, so probe for them now (another run
        may just have finished and left its share unused), once a window and at most a
        window before the probe schedule would. Not when a refused probe's row would wait
        longer than that window."""
        left = self.remaining
        since = max(self._last_rows_probed, self._decreased_at)
        return (
            left is not None
            and 0 < left - self._in_flight <= self._level
            and self._allowance <= self._level < self.limit.count
            and now >= max(since + self._window, self._probe_by - self._window)
            and self._longest_retry_after <= self._window + RETRY_AFTER_ROUNDING
        )

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[Slot]:
        """Hold one send slot for the duration of one HTTP attempt."""
        async with self._lock:
            while (wait := self._wait_time()) != 0:
                if wait is None:
                    self._slot_freed.clear()
                    await self._slot_freed.wait()
                else:
                    await self._clock.sleep(wait)
            probe = self._probing(self._in_flight + len(self._stamps))
            if self._first_window_ends is None:
                self._first_window_ends = self._clock.now() + self._window
            self._in_flight += 1
            self._sends += 1
            sent = self._sends
        try:
            yield Slot(self, sent, probe=probe)
        finally:
            self._in_flight -= 1
            self._stamps.append(self._clock.now())
            self._slot_freed.set()

    def throttled(
        self, retry_after: float | None, *, sent: int | None = None, probe: bool = False
    ) -> None:
        """A 429: settle below what was admitted, pause the class, restart at one in flight.

        Nothing admitted, or fewer answers in the window than half the floor (or level),
        measure nothing: the level is halved instead, never below the floor (`FLOOR_SHARE`
        of the ceiling). A refused `probe`, or the first 429 at the ceiling, measures the
        budget (`_measured_budget`); a refused probe does not pause the class.
        `sent` is the refused request's place in the class's sends (None: a new one); one
        sent before the last decrease only pauses the class.
        """
        now = self._clock.now()
        self._trim(now)
        self._probes_through = 0
        if retry_after is not None:
            self._longest_retry_after = max(self._longest_retry_after, retry_after)
        admitted = min(float(len(self._admitted)), self._allowance)
        answered = len(self._stamps)
        measured = admitted and answered >= min(self._floor, self._level) / 2
        if not probe:
            self._ramp = 1
            if retry_after is not None:
                pause = min(retry_after, self._window / 2)
                self._paused_until = max(self._paused_until, now + pause)
        if sent is not None and sent <= self._decreased_after:
            return
        if measured and not probe and now < self._decreased_at + self._window:
            # Sent after the last decrease and still refused: the window's count, which
            # still holds what came before the decrease, says nothing new; step down from
            # the level instead, once (a token bucket's burst made the first reading too
            # high; more steps in one window starved a run sharing the bucket).
            if not self._stepped_down:
                self._measured = None
                self._stepped_down = True
                self._level = _whole(self._level * STEP_DOWN)
                self._decreased_after = self._sends
                self._change(self._level, "throttled (429) again after a decrease")
            return
        if measured and probe:
            self._measured_budget(admitted, now, sent=sent)
            return
        if measured:
            self._shared_until = now + SHARED_MEMORY * self._window
            self._level = _whole(admitted * BACK_OFF)
            why = f"throttled (429) with {admitted:g} admitted in the last window"
        else:  # Too few answers to tell the budget: back off, but learn no level.
            self._level = max(min(self._level, self._floor), self._level * UNMEASURED_BACK_OFF)
            why = f"throttled (429) with {answered} answered in the window: too few to measure"
        self._decrease(self._level, now, why)

    def _decrease(self, level: float, now: float, why: str) -> None:
        self._measured = None
        self._level = level
        self._stepped_down = False
        self._decreased_after = self._sends
        self._decreased_at = now
        self._next_step = now + self._window
        self._change(self._level, why)

    def _measured_budget(self, admitted: float, now: float, *, sent: int | None) -> None:
        """Sent beyond any known level and refused: what the window admitted is the budget.

        Settle at it (a little below while sharing, in whole requests) and wait about
        `PROBE_REQUESTS` requests before probing again. Requests sent before the refused
        one and answered after it were admitted by the same window: `admitted` counts them
        as they come (in the first window two go at a time, and the 429 can come first).
        """
        self._measured = (sent or self._sends, admitted)
        self._level = self._settled_level(admitted, now)
        self._decreased_after = self._sends
        self._decreased_at = now
        self._stepped_down = False
        self._next_step = now + PROBE_EVERY * self._window
        share = max(self._level, PROBE_SHARE * self.limit.count)
        windows = min(max(PROBE_REQUESTS / share, PROBE_EVERY), PROBE_WINDOWS)
        self._probe_by = now + windows * self._window
        self._change(self._level, f"probe refused (429) with {admitted:g} admitted in the window")

    def _settled_level(self, admitted: float, now: float) -> float:
        """The level a window that admitted `admitted` and refused a probe sets: all of it
        for a run alone, `PROBE_BACK_OFF` of it (in whole requests) while sharing."""
        kept = admitted * PROBE_BACK_OFF
        alone = now >= self._shared_until
        return min(admitted if alone or admitted - kept < 1 else _whole(kept), self.limit.count)

    def admitted(self, sent: int | None = None) -> None:
        """An answer the server let through: one more request may be in flight. `sent` is
        the request's place in the class's sends (None: unknown)."""
        now = self._clock.now()
        self._admitted.append(now)
        measured = self._measured
        if measured and sent is not None and sent < measured[0]:
            # Sent before the refused probe, answered after it: the budget held it too.
            self._measured = (measured[0], measured[1] + 1)
            self._level = self._settled_level(measured[1] + 1, now)
            why = f"admitted after the probe's 429: {measured[1] + 1:g} admitted in the window"
            self._change(self._level, why)
        if self._ramp is not None:
            self._ramp = self._ramp + 1 if self._ramp < self.limit.count else None
            self._slot_freed.set()

    def _step(self, now: float) -> None:
        """A window after the last change: take in what was admitted, and probe above it."""
        if now < self._next_step or self._level >= self.limit.count:
            return
        held, self._held = self._held, False
        self._measured = None
        self._probed_further = False
        self._next_step = now + self._window
        self._level = max(self._level, min(float(len(self._admitted)), self._allowance))
        left = self.remaining
        # A refused probe's row waits its Retry-After: no use when the rest is done sooner.
        alone = now >= self._shared_until
        tail = self._level * max(1.0, alone * self._longest_retry_after / self._window)
        if held and now >= self._probe_by and (left is None or left > tail):
            self._probe_further()
        elif now >= self._last_rows_probed + self._window:  # Not a probe for the last rows.
            # The allowance did not limit the class, or the last probe is too recent.
            self._change(self._level, f"admitted level measured ({self._level:g} per window)")

    def _probe_further(self) -> None:
        """Allow the next probe step above the level: `PROBE_STEP` of the ceiling, then
        `PROBE_GROWTH` times the last step for each step in a row that got through, in the
        next window or, once every probe so far was answered, in this one."""
        step = PROBE_STEP * self.limit.count * PROBE_GROWTH**self._probes_through
        self._probes_through += 1
        self._change(
            max(self._allowance, self._level) + max(1.0, step),
            f"probing above the admitted level ({self._level:g} per window)",
        )

    def _change(self, allowance: float, why: str) -> None:
        before, self._allowance = self._allowance, min(allowance, float(self.limit.count))
        if int(before) != int(self._allowance):
            log.info(
                "pace.changed",
                request_class=self.name,
                before=f"{int(before)}/{self._window:g}s",
                after=f"{int(self._allowance)}/{self._window:g}s",
                why=why,
            )


def _whole(level: float) -> float:
    """`level` in whole requests (a share of one is no slot), at least one."""
    return max(1.0, float(math.floor(level)))


class Pacers:
    """One `Pacer` per request class, so reads never wait behind the write budget."""

    def __init__(self, write_limit: RateLimit, read_limit: RateLimit, clock: Clock) -> None:
        self._by_class = {
            RequestClass.WRITE: Pacer(write_limit, clock, RequestClass.WRITE.value),
            RequestClass.READ: Pacer(read_limit, clock, RequestClass.READ.value),
        }

    def __getitem__(self, request_class: RequestClass) -> Pacer:
        return self._by_class[request_class]

    def expect(self, writes: int, reads: int) -> None:
        """Tell each class how many rows the run has to send (`Pacer.remaining`)."""
        self[RequestClass.WRITE].remaining = writes
        self[RequestClass.READ].remaining = reads

    def row_done(self, request_class: RequestClass) -> None:
        """One row of `request_class` is finished: one fewer left to send."""
        pacer = self[request_class]
        if pacer.remaining:
            pacer.remaining -= 1

    def settled(self) -> dict[str, float]:
        """The learned rate of each class, requests per second (for `run.finished`)."""
        return {klass.value: round(p.per_second, 3) for klass, p in self._by_class.items()}

    def seconds_for(self, writes: int, reads: int) -> float:
        """Time `writes` and `reads` still take at the learned rates (classes pace in parallel)."""
        return max(
            writes / self._by_class[RequestClass.WRITE].per_second,
            reads / self._by_class[RequestClass.READ].per_second,
        )


def estimated_seconds(count: int, limit: RateLimit) -> float:
    """Least time `count` requests take at `limit`: the first window's worth go at once."""
    if count <= limit.count:
        return 0.0
    return (count - limit.count) / limit.per_second
