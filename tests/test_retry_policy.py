"""The retry policy's translation to tenacity: what is retried, how long it waits, when it stops."""

from __future__ import annotations

import pytest
from tenacity import AsyncRetrying

from batch.http.retry_policy import Retryable, RetryPolicy, tenacity_kwargs
from tests.fake_clock import FakeClock


async def _run(
    policy: RetryPolicy, errors: list[BaseException], seconds_left: float = float("inf")
) -> tuple[int, list[float]]:
    clock = FakeClock()
    calls = 0
    kwargs = tenacity_kwargs(policy, sleep=clock.sleep, seconds_left=lambda: seconds_left)
    try:
        async for attempt in AsyncRetrying(**kwargs):
            with attempt:
                calls += 1
                if calls <= len(errors):
                    raise errors[calls - 1]
    except (Retryable, ValueError):
        pass
    return calls, clock.sleeps


async def test_retry_after_wins_and_is_clamped() -> None:
    """A Retry-After is waited exactly, capped at max_retry_after."""
    policy = RetryPolicy(max_attempts=5, max_retry_after=10.0)
    calls, sleeps = await _run(policy, [Retryable("429", 2.5), Retryable("429", 999.0)])
    assert calls == 3
    assert sleeps == [2.5, 10.0]


async def test_backoff_is_jittered_and_capped() -> None:
    """Without Retry-After, waits are in [0, min(cap, base*2^n)]."""
    policy = RetryPolicy(max_attempts=8, base=1.0, cap=4.0)
    calls, sleeps = await _run(policy, [Retryable("503")] * 7)
    assert calls == 8
    for number, wait in enumerate(sleeps):
        assert 0 <= wait <= min(4.0, 2.0**number)


async def test_stops_after_max_attempts() -> None:
    """max_attempts counts the first attempt; the last error is re-raised, not wrapped."""
    calls, sleeps = await _run(RetryPolicy(max_attempts=3), [Retryable("504")] * 10)
    assert (calls, len(sleeps)) == (3, 2)


async def test_other_exceptions_are_not_retried() -> None:
    """Only Retryable is retried: anything else ends at once."""
    calls, _ = await _run(RetryPolicy(max_attempts=5), [ValueError("boom")])
    assert calls == 1


async def test_never_waits_past_the_deadline() -> None:
    """A wait that would end after the deadline stops instead."""
    calls, sleeps = await _run(RetryPolicy(), [Retryable("429", 30.0)] * 3, seconds_left=10.0)
    assert (calls, sleeps) == (1, [])


@pytest.mark.parametrize(
    "kwargs", [{"max_attempts": 0}, {"base": 0}, {"base": 5, "cap": 1}, {"max_retry_after": 0}]
)
def test_invalid_policy_rejected(kwargs: dict[str, float]) -> None:
    """A policy that cannot work is refused at construction."""
    with pytest.raises(ValueError, match=r"must|need"):
        RetryPolicy(**kwargs)  # type: ignore[arg-type]


async def test_throttling_has_its_own_budget() -> None:
    """Throttled answers ("not now") do not use up max_attempts; failures still do."""
    policy = RetryPolicy(max_attempts=2, max_throttled=10)
    throttled = [Retryable("429", 1.0, throttled=True)] * 8
    calls, _ = await _run(policy, [*throttled, Retryable("504")])
    assert calls == 10  # 8 throttled + 1 failed + the success
    calls, _ = await _run(policy, [*throttled, Retryable("504"), Retryable("504")])
    assert calls == 10  # the second failure spends the 2-attempt budget


async def test_throttling_budget_is_bounded() -> None:
    """Endless throttling still ends: after max_throttled throttled answers."""
    policy = RetryPolicy(max_attempts=2, max_throttled=4)
    calls, sleeps = await _run(policy, [Retryable("429", 1.0, throttled=True)] * 20)
    assert (calls, len(sleeps)) == (5, 4)
