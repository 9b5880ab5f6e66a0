"""How one answer becomes a retry signal: which statuses retry and which `Retry-After` is kept."""

from __future__ import annotations

import pytest

from batch.http.client import GraphResponse
from batch.http.retry_policy import RetryPolicy
from batch.http.transient import retry_signal

POLICY = RetryPolicy(max_retry_after=30.0)


@pytest.mark.parametrize(
    ("status", "header", "retry_after"),
    [
        (429, "2", 2.0),
        (429, "0.25", 0.25),
        (429, "999", 30.0),
        (429, None, None),
        (429, "0", None),
        (429, "Thu, 01 Jan 1970 00:00:00 GMT", None),
        (503, "0", None),
        (503, "1.5", 1.5),
    ],
)
def test_retry_after_kept_clamped_or_dropped(
    status: int, header: str | None, retry_after: float | None
) -> None:
    """A zero or past `Retry-After` means back off, not hammer the same throttling window."""
    headers = {} if header is None else {"retry-after": header}
    signal = retry_signal(GraphResponse(status, headers), POLICY)
    assert signal is not None
    assert signal.retry_after == retry_after


@pytest.mark.parametrize("status", [200, 204, 400, 404, 409])
def test_final_answers_are_not_retried(status: int) -> None:
    """Success and non-transient 4xx end the attempts."""
    assert retry_signal(GraphResponse(status, {"retry-after": "1"}), POLICY) is None


@pytest.mark.parametrize(
    ("status", "header", "throttled"),
    [(429, "2", True), (429, None, True), (503, "1", True), (503, None, False), (504, "1", False)],
)
def test_throttling_answers_draw_on_their_own_budget(
    status: int, header: str | None, throttled: bool
) -> None:
    """429, and 503 with Retry-After, are "not now" (throttling budget); the rest are failures."""
    headers = {} if header is None else {"retry-after": header}
    signal = retry_signal(GraphResponse(status, headers), POLICY)
    assert signal is not None
    assert signal.throttled is throttled
