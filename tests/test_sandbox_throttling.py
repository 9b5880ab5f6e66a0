"""Sliding-window throttling: limits per class, Retry-After formats, early-retry accounting."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import aiohttp
import pytest

from batch.operations import CancelRegistration, EventType, event_path
from batch.sandbox.throttle import SlidingWindow, format_retry_after
from batch.settings import RateLimit
from tests.conftest import SandboxFactory
from tests.sandbox_helpers import REG_ADELE, WEBINAR, FakeClock, call

READ = event_path(EventType.WEBINAR, WEBINAR)
WRITE = CancelRegistration(event_id=WEBINAR, registration_id=REG_ADELE).path


@pytest.mark.parametrize(
    ("arrivals", "count_rejected", "expected"),
    [
        ([0, 1, 2], False, [None, None, 8.0]),
        ([0, 1, 10, 10.5], False, [None, None, None, 0.5]),
        ([0, 1, 2, 3], True, [None, None, 9.0, 9.0]),
        ([0, 1, 2, 3], False, [None, None, 8.0, 7.0]),
        ([0, 0, 11, 11], True, [None, None, None, None]),
    ],
)
def test_sliding_window_table(
    arrivals: list[float], count_rejected: bool, expected: list[float | None]
) -> None:
    """2 per 10 s: admits, and otherwise returns the wait until a slot frees."""
    window = SlidingWindow(RateLimit(count=2, per_seconds=10), count_rejected=count_rejected)
    assert [window.acquire(t) for t in arrivals] == expected


@pytest.mark.parametrize(
    ("wait", "style", "expected"),
    [
        (2.1281, "seconds", "3"),
        (0.2, "seconds", "1"),
        (2.1281, "fractional", "2.129"),
        (2.5, "http-date", "Fri, 01 Jan 2027 00:00:03 GMT"),
    ],
)
def test_retry_after_formats(wait: float, style: str, expected: str) -> None:
    """Retry-After is never earlier than the real wait, in each of the three formats."""
    now = datetime(2027, 1, 1, tzinfo=UTC)
    assert format_retry_after(wait, style, now) == expected  # type: ignore[arg-type]


async def test_writes_throttled_separately_from_reads(
    sandbox_factory: SandboxFactory, http: aiohttp.ClientSession
) -> None:
    """Over the write limit gives 429 TooManyRequests with Retry-After; reads still pass."""
    clock = FakeClock()
    sandbox = await sandbox_factory(clock=clock, write_limit="2/10s", read_limit="3/10s")
    statuses = [(await call(http, sandbox, "POST", WRITE)).status for _ in range(3)]
    assert statuses == [204, 400, 429]
    throttled = await call(http, sandbox, "POST", WRITE)
    assert throttled.json["error"]["code"] == "TooManyRequests"
    assert throttled.headers["retry-after"] == "10"
    reads = [(await call(http, sandbox, "GET", READ)).status for _ in range(4)]
    assert reads == [200, 200, 200, 429]
    stats = sandbox.stats()
    assert stats.throttled == 3
    assert stats.by_status[429] == 3
    assert stats.by_class == {"write": 4, "read": 4}


async def test_window_slides_with_the_clock(
    sandbox_factory: SandboxFactory, http: aiohttp.ClientSession
) -> None:
    """After the announced Retry-After a request is admitted again."""
    clock = FakeClock()
    sandbox = await sandbox_factory(clock=clock, read_limit="1/5s", count_rejected=False)
    assert (await call(http, sandbox, "GET", READ)).status == 200
    clock.advance(1)
    rejected = await call(http, sandbox, "GET", READ)
    assert rejected.status == 429
    clock.advance(float(rejected.headers["retry-after"]))
    assert (await call(http, sandbox, "GET", READ)).status == 200
    assert sandbox.stats().early_retries == 0


@pytest.mark.parametrize(
    ("count_rejected", "after_wait", "early"), [(True, 429, 2), (False, 200, 1)]
)
async def test_count_rejected_extends_the_throttle(
    sandbox_factory: SandboxFactory,
    http: aiohttp.ClientSession,
    count_rejected: bool,
    after_wait: int,
    early: int,
) -> None:
    """With count_rejected, an early retry pushes the free slot (and the announced time) later."""
    clock = FakeClock()
    sandbox = await sandbox_factory(clock=clock, read_limit="1/5s", count_rejected=count_rejected)
    await call(http, sandbox, "GET", READ)
    first = await call(http, sandbox, "GET", READ)
    clock.advance(1)
    await call(http, sandbox, "GET", READ)  # an early retry
    clock.advance(float(first.headers["retry-after"]) - 1)
    assert (await call(http, sandbox, "GET", READ)).status == after_wait
    assert sandbox.stats().early_retries == early


async def test_retry_after_429_is_constant_when_set(
    sandbox_factory: SandboxFactory, http: aiohttp.ClientSession
) -> None:
    """`retry_after_429` replaces the real wait (here 3 s) in every 429, and an early retry is
    counted against the announced wait, not the real one."""
    clock = FakeClock()
    sandbox = await sandbox_factory(clock=clock, read_limit="1/3s", retry_after_429=10)
    await call(http, sandbox, "GET", READ)
    refused = await call(http, sandbox, "GET", READ)
    assert (refused.status, refused.headers["retry-after"]) == (429, "10")
    clock.advance(5)
    assert (await call(http, sandbox, "GET", READ)).status == 200
    assert sandbox.stats().early_retries == 1


@pytest.mark.parametrize("style", ["seconds", "fractional", "http-date"])
async def test_retry_after_header_format_is_configurable(
    sandbox_factory: SandboxFactory, http: aiohttp.ClientSession, style: str
) -> None:
    """Each Retry-After format parses to a wait no shorter than the real one."""
    clock = FakeClock()
    sandbox = await sandbox_factory(
        clock=clock, read_limit="1/3s", retry_after_format=style, count_rejected=False
    )
    await call(http, sandbox, "GET", READ)
    clock.advance(0.75)
    value = (await call(http, sandbox, "GET", READ)).headers["retry-after"]
    if style == "http-date":
        assert parsedate_to_datetime(value) > datetime.now(UTC)
    elif style == "fractional":
        assert value == "2.250"
    else:
        assert value == "3"
