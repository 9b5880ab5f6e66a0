"""How one answer steers retrying and pacing: shared by the runner's executor and plan's reader.

An answer is a `GraphResponse` or the `TransportError` that stood in for one. Transport failures
and `RETRY_STATUSES` are worth another attempt, after the server's `Retry-After` (clamped) when
it sent one (a `Retry-After` of zero counts as none). A 429 teaches the class's pacer and pauses
the class; a 503 only delays its own request (why: `batch.http.pacing`); any other answer lets
the class ramp back up.
"""

from __future__ import annotations

from batch.errors import TransportError
from batch.http.client import GraphResponse
from batch.http.pacing import Slot
from batch.http.retry_after import parse_retry_after
from batch.http.retry_policy import RETRY_STATUSES, THROTTLE_STATUSES, Retryable, RetryPolicy

Answer = GraphResponse | TransportError


def retry_signal(answer: Answer, policy: RetryPolicy) -> Retryable | None:
    """The `Retryable` to raise for `answer`, or None when it is final."""
    if isinstance(answer, TransportError):
        return Retryable(f"{answer.kind}: {answer.message}")
    if answer.status not in RETRY_STATUSES:
        return None
    retry_after = parse_retry_after(answer.header("Retry-After"))
    if retry_after is not None and retry_after <= 0:
        # "Retry now" (`0`, or a date already past) is no guidance: honoured literally, every
        # attempt would land in the same throttling window and the row would fail in
        # milliseconds. Back off as if the header were absent.
        retry_after = None
    if retry_after is not None:
        retry_after = min(retry_after, policy.max_retry_after)
    throttled = answer.status == 429 or (answer.status in THROTTLE_STATUSES and retry_after)
    return Retryable(
        f"HTTP {answer.status} {answer.error_code or ''}".strip(),
        retry_after,
        throttled=bool(throttled),
    )


def pace(slot: Slot, answer: GraphResponse, policy: RetryPolicy) -> None:
    """Tell the pacer through `slot` whether the server throttled this answer or let it through."""
    if answer.status == 429:
        retry_after = parse_retry_after(answer.header("Retry-After"))
        slot.throttled(None if retry_after is None else min(retry_after, policy.max_retry_after))
    elif answer.status != 503:
        slot.admitted()
