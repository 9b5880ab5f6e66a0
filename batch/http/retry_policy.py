"""What is retried, how often and how long to wait: one frozen value, one translation to tenacity.

Retried: 429, 503, 504 (Graph's documented transient answers), 500 and 502 (gateway and
front-end blips are common, and a write that met one is verified before it could be retried
twice), and transport failures (connection refused/dropped, timeout, truncated or unreadable
body). Never retried: any other 4xx. `Retry-After` wins over computed backoff and is clamped to
`max_retry_after` and to the time left before the run's deadline; without it the wait is
exponential with full jitter, capped at `cap`.

Two budgets, as urllib3 keeps one per failure kind: `max_attempts` bounds attempts that
*failed*; throttling answers (a 429, or a 503 with `Retry-After`) are Graph saying "not now",
not "no", and draw on `max_throttled` instead, so a run sharing the app's budget with others
slows down rather than failing rows.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import structlog
from tenacity import RetryCallState, retry_if_exception_type
from tenacity.stop import stop_base
from tenacity.wait import wait_random_exponential

RETRY_STATUSES: frozenset[int] = frozenset({429, 500, 502, 503, 504})
THROTTLE_STATUSES: frozenset[int] = frozenset({429, 503})
"""Answers that mean "not now" (a 503 only with `Retry-After`): they draw on `max_throttled`."""

log = structlog.get_logger("graph_batch.retry")


@dataclass(frozen=True)
class RetryPolicy:
    """How one operation is retried; copied, never mutated."""

    max_attempts: int = 6
    max_throttled: int = 30
    base: float = 1.0
    cap: float = 60.0
    max_retry_after: float = 300.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1 or self.max_throttled < 0:
            raise ValueError("max_attempts must be at least 1 and max_throttled not negative")
        if self.base <= 0 or self.cap < self.base or self.max_retry_after <= 0:
            raise ValueError("need 0 < base <= cap and max_retry_after > 0")


class Retryable(Exception):  # noqa: N818 - a signal to tenacity, not an error users see.
    """Raised for an attempt worth retrying; carries the server's `Retry-After`, if any."""

    def __init__(
        self, cause: str, retry_after: float | None = None, *, throttled: bool = False
    ) -> None:
        super().__init__(cause)
        self.cause = cause
        self.retry_after = retry_after
        self.throttled = throttled
        """True for "not now" answers, which draw on the throttling budget."""


def _wait(policy: RetryPolicy) -> Callable[[RetryCallState], float]:
    backoff = wait_random_exponential(multiplier=policy.base, max=policy.cap)

    def wait(state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, Retryable) and exc.retry_after is not None:
            return min(exc.retry_after, policy.max_retry_after)
        return float(backoff(state))

    return wait


class _StopWhenABudgetIsSpent(stop_base):
    """Stop after `max_attempts` failed attempts or `max_throttled` throttled ones.

    tenacity asks once after every unsuccessful attempt, so counting here sees each one once;
    one instance serves one request (see `tenacity_kwargs`).
    """

    def __init__(self, policy: RetryPolicy) -> None:
        self._policy = policy
        self._failed = 0
        self._throttled = 0

    def __call__(self, state: RetryCallState) -> bool:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, Retryable) and exc.throttled:
            self._throttled += 1
        else:
            self._failed += 1
        return self._failed >= self._policy.max_attempts or (
            self._throttled > self._policy.max_throttled
        )


class _StopAtDeadline(stop_base):
    """Stop when the upcoming wait would end past the run's deadline (and say so)."""

    def __init__(self, seconds_left: Callable[[], float], on_stop: Callable[[], None]) -> None:
        self._seconds_left = seconds_left
        self._on_stop = on_stop

    def __call__(self, state: RetryCallState) -> bool:
        # tenacity computes the upcoming wait before asking whether to stop; it asks this
        # stop only when no budget is spent, so stopping here means the deadline ended it.
        if (state.upcoming_sleep or 0.0) < self._seconds_left():
            return False
        self._on_stop()
        return True


def tenacity_kwargs(
    policy: RetryPolicy,
    *,
    sleep: Callable[[float], Awaitable[None]],
    seconds_left: Callable[[], float] = lambda: float("inf"),
    on_retry: Callable[[RetryCallState], None] | None = None,
    on_deadline: Callable[[], None] = lambda: None,
) -> dict[str, Any]:
    """The `AsyncRetrying` arguments that implement `policy` (the only place that knows how).

    `on_deadline` is called when the run's deadline, not a retry budget, ended the retrying.
    """

    def before_sleep(state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        log.info(
            "retry",
            retry_num=state.attempt_number,
            wait_for=round(state.upcoming_sleep or 0.0, 3),
            caused_by=str(exc),
        )
        if on_retry is not None:
            on_retry(state)

    return {
        "stop": _StopWhenABudgetIsSpent(policy) | _StopAtDeadline(seconds_left, on_deadline),
        "wait": _wait(policy),
        "retry": retry_if_exception_type(Retryable),
        "sleep": sleep,
        "reraise": True,
        "before_sleep": before_sleep,
    }
