"""Pure outcome classification: (operation, attempt history, verification) -> outcome.

A write whose earlier attempt may have been applied (timeout, dropped connection, 5xx) can
meet an error on its next attempt only because the first one worked; a second cancel of an
event is answered 204, 400 or 409 depending on the day. So before a write is called `failed`
for one of those answers, the runner reads the target back, and this module decides.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from batch.audit.records import Outcome
from batch.http.retry_policy import RETRY_STATUSES
from batch.operations import RequestClass
from batch.readback import Verified

# Answers that may mean "already in the desired state" for a write.
_MAYBE_DONE = frozenset({400, 404, 409})


@dataclass(frozen=True)
class AttemptResult:
    """One attempt, as classification sees it: a status, or None when no answer came back."""

    status: int | None
    error_code: str | None = None

    @property
    def succeeded(self) -> bool:
        """A 2xx answer that is not a Graph error body."""
        return self.status is not None and 200 <= self.status < 300 and self.error_code is None

    @property
    def ambiguous(self) -> bool:
        """True when this attempt may have changed the target without saying so.

        A 2xx carrying a Graph error body (`{"error": {...}}`) says two things at once.
        """
        if self.status is None or self.status >= 500:
            return True
        return 200 <= self.status < 300 and self.error_code is not None


VERIFIED_REASONS = {Verified.DONE: "verified", Verified.DONE_BY_RESEND: "verified-by-resend"}
"""The `reason` of an `already_done` row: how its state was established."""


@dataclass(frozen=True)
class Verdict:
    """The outcome of a row and why."""

    outcome: Outcome
    reason: str | None = None


def needs_verification(request_class: RequestClass, attempts: Sequence[AttemptResult]) -> bool:
    """True when a write's answer does not settle whether the change is in place."""
    if request_class is not RequestClass.WRITE or not attempts:
        return False
    last = attempts[-1]
    if last.succeeded:
        return False
    if last.ambiguous:
        return True
    if last.status in {401, 403}:
        return False
    return last.status in _MAYBE_DONE or any(a.ambiguous for a in attempts)


def classify(
    request_class: RequestClass,
    attempts: Sequence[AttemptResult],
    verified: Verified | None = None,
) -> Verdict:
    """Decide a row's outcome from its attempts and, for an unsettled write, the read-back."""
    if not attempts:
        return Verdict(Outcome.FAILED, "not-sent")
    last = attempts[-1]
    if last.succeeded:
        return Verdict(Outcome.SUCCEEDED)
    if verified is not None and verified.done and needs_verification(request_class, attempts):
        return Verdict(Outcome.ALREADY_DONE, VERIFIED_REASONS[verified])
    return Verdict(Outcome.FAILED, _failure_reason(last, verified))


RETRIES_SPENT = "retries-exhausted"
"""The reason of a row whose last answer was retryable when its retries ended."""


def _failure_reason(last: AttemptResult, verified: Verified | None) -> str:
    if last.status is None or last.status in RETRY_STATUSES:
        reason = RETRIES_SPENT
    elif last.status in {401, 403}:
        reason = "refused"
    else:
        reason = "rejected"
    if verified is Verified.UNKNOWN:
        return f"{reason}; unverified"
    return reason
