"""Carry one manifest row to its final outcome: paced attempts, retries, token refresh, verify.

Every attempt (retries, the 401 re-send, verification reads) waits for its request class's
pacer, is written ahead to the audit log as `op.sending` before it leaves, and as `op.attempt`
once answered (or not): a request with no answer is on record whatever stops the process.
Expected failures become a failed `op.finished`; only a token Graph keeps refusing escapes (as
`AuthError`), because it stops the whole run. A row waiting out a retry delay gives up its
seat meanwhile (`batch.http.seats`).
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from tenacity import AsyncRetrying, RetryCallState

from batch.audit.records import OpAttempt, OpFinished, OpSending, Outcome, Purpose
from batch.audit.writer import AuditWriter
from batch.auth.factory import token_refused_error
from batch.auth.token_holder import TokenHolder, cae_claims
from batch.errors import TransportError
from batch.http import shapes
from batch.http.client import GraphClient, GraphResponse
from batch.http.pacing import Clock, Pacers
from batch.http.retry_policy import Retryable, RetryPolicy, tenacity_kwargs
from batch.http.seats import seatless
from batch.http.transient import Answer, pace, retry_signal
from batch.operations import GetSession, RemoveSession, RequestClass
from batch.readback import (
    AnyOperation,
    Reach,
    Verified,
    WriteOperation,
    existence_paths,
    read_existence,
    read_verification,
    verification_read,
)
from batch.run.outcomes import (
    RETRIES_SPENT,
    VERIFIED_REASONS,
    AttemptResult,
    classify,
    needs_verification,
)

AMBIGUOUS_STATUSES = frozenset({500, 502, 504})
"""Answers a gateway may give after the service applied the change (503 and 429 are refusals)."""


@dataclass
class Traffic:
    """Counts of requests sent and answers seen, for progress and the summary."""

    requests: int = 0
    throttled: int = 0
    by_status: Counter[str] = field(default_factory=Counter)
    settled_rate: dict[str, float] = field(default_factory=dict)
    """Learned requests per second per class, once the run is over."""


@dataclass
class RowState:
    """What is known about a row in flight, so an interrupted row can still be recorded."""

    row: int
    op: AnyOperation
    started: float
    client_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    attempts: list[AttemptResult] = field(default_factory=list)
    last: Answer | None = None
    sent: bool = False
    """True once a request for this row may have left: from then on it may have changed."""
    sends: int = 0
    """Requests of this row that left (answered or not); more than `attempts`: one is out."""
    read_back_first: bool = False
    """An earlier run's write of this row went unanswered: read the target before sending."""
    cut_by_deadline: bool = False
    """The run's `--deadline` ended this row's retries before its budgets were spent."""

    def note_deadline(self) -> None:
        """Called when the deadline, not a retry budget, stopped this row's retries."""
        self.cut_by_deadline = True

    @property
    def unanswered(self) -> bool:
        """Whether a request of this row left and has no answer yet."""
        return self.sends > len(self.attempts)

    @property
    def untouched(self) -> bool:
        """Whether nothing of this row can have reached its target: no request left, or every
        one that did was answered 429 (refused before it was looked at) and none is out, as
        while the row waits out a `Retry-After`."""
        if not self.sent:
            return True
        return not self.unanswered and all(attempt.status == 429 for attempt in self.attempts)


@dataclass(frozen=True)
class _Request:
    row: int
    op_name: str
    method: str
    path: str
    request_class: RequestClass
    client_request_id: str
    target: dict[str, str]
    purpose: Purpose = "operation"
    state: RowState | None = None


class Executor:
    """Runs rows against Graph; shared by all workers of a run."""

    def __init__(
        self,
        *,
        run_id: str,
        client: GraphClient,
        tokens: TokenHolder,
        pacers: Pacers,
        policy: RetryPolicy,
        clock: Clock,
        audit: AuditWriter,
        seconds_left: Callable[[], float] = lambda: float("inf"),
    ) -> None:
        self.run_id = run_id
        self.traffic = Traffic()
        self._client = client
        self._tokens = tokens
        self._pacers = pacers
        self._policy = policy
        self._clock = clock
        self._audit = audit
        self._seconds_left = seconds_left
        self._reach = Reach()

    async def execute(self, state: RowState, labels: dict[str, str]) -> OpFinished:
        """Do one row and return its `op.finished` record (written by the caller)."""
        op = state.op
        request = _row_request(state)
        if isinstance(op, GetSession):
            state.last = await self._send_with_retries(
                request, state.attempts, on_deadline=state.note_deadline
            )
            verdict = classify(op.request_class, state.attempts)
            return self.finished(state, labels, verdict.outcome, verdict.reason)
        verified: Verified | None = None

        async def already_in_place() -> bool:
            nonlocal verified
            verified = await self._verify(state, op)
            return verified.done

        if state.read_back_first and await already_in_place():
            # An earlier run's write went unanswered (write-ahead record): it was applied.
            reason = VERIFIED_REASONS[verified] if verified is not None else None
            return self.finished(state, labels, Outcome.ALREADY_DONE, reason)
        state.last = await self._send_with_retries(
            request, state.attempts, already_in_place, state.note_deadline
        )
        settled = verified is not None and verified.done
        if not settled and needs_verification(op.request_class, state.attempts):
            verified = await self._verify(state, op)
        verdict = classify(op.request_class, state.attempts, verified)
        return self.finished(state, labels, verdict.outcome, verdict.reason)

    async def read(self, row: int, op: AnyOperation, path: str, purpose: Purpose) -> Answer:
        """A paced, retried GET outside any row's own history (verification, pre-flight)."""
        request = _Request(
            row, op.op, "GET", path, RequestClass.READ, str(uuid.uuid4()), op.target, purpose
        )
        return await self._send_with_retries(request, [])

    def finished(
        self,
        state: RowState,
        labels: dict[str, str],
        outcome: Outcome,
        reason: str | None,
        *,
        error_code: str | None = None,
        error_message: str | None = None,
    ) -> OpFinished:
        """The `op.finished` record for `state`, with the details of its last answer."""
        last = state.last
        details: dict[str, Any] = {}
        if isinstance(last, GraphResponse):
            details = {
                "status": last.status,
                "request_id": last.request_id,
                "error_code": last.error_code,
                "error_message": last.error_message,
            }
            if isinstance(state.op, GetSession) and last.ok:
                details |= shapes.session_fields(last.body) or {}
        elif isinstance(last, TransportError):
            details = {
                "status": last.status,
                "request_id": last.request_id,
                "error_code": last.kind,
                "error_message": last.message,
            }
        if outcome is not Outcome.FAILED:
            details["error_code"] = details["error_message"] = None
        elif state.cut_by_deadline and reason is not None and reason.startswith(RETRIES_SPENT):
            # Not a Graph failure: the run's time was up before the retries were.
            reason = reason.replace(RETRIES_SPENT, "deadline", 1)
        if error_code is not None:
            details["error_code"] = error_code
        if error_message is not None:
            details["error_message"] = error_message
        return OpFinished(
            run_id=self.run_id,
            row=state.row,
            op=state.op.op,
            target=state.op.target,
            outcome=outcome,
            reason=reason,
            attempts=max(len(state.attempts), state.sends),
            client_request_id=state.client_request_id,
            duration_ms=round((self._clock.now() - state.started) * 1000, 1),
            labels=labels,
            **details,
        )

    async def _verify(self, state: RowState, op: WriteOperation) -> Verified:
        """Read the target back, with the preferred read unless this token was refused it."""
        kind, path = verification_read(op)
        if not self._reach.refused(kind):
            answer = await self.read(state.row, op, path, "verify")
            response = answer if isinstance(answer, GraphResponse) else None
            if response is None or not self._reach.note(kind, response.status):
                return read_verification(op, response)
        return await self._fallback(state, op)

    async def _fallback(self, state: RowState, op: WriteOperation) -> Verified:
        """Settle a remove-session its token may not look into, through its idempotent DELETE.

        A 2xx carrying an error body is settled by sending the DELETE once more (it cannot
        remove anything twice); a 404 by reading both ends of the link.
        """
        if not isinstance(op, RemoveSession):
            return Verified.UNKNOWN
        if _is_error_success(state.last):
            state.last = await self._send_with_retries(_row_request(state), state.attempts)
        if not _is_404(state.last):
            return Verified.UNKNOWN  # Not yet re-sent: the caller re-sends, then asks again.
        statuses = []
        for path in existence_paths(op):
            answer = await self.read(state.row, op, path, "verify")
            statuses.append(answer.status if isinstance(answer, GraphResponse) else None)
        return read_existence(statuses)

    async def _send_with_retries(
        self,
        request: _Request,
        history: list[AttemptResult],
        already_in_place: Callable[[], Awaitable[bool]] | None = None,
        on_deadline: Callable[[], None] = lambda: None,
    ) -> Answer:
        """The final answer to `request`, retried as the policy says.

        Before a write is sent again after an answer that may hide an applied change (no
        answer at all, 500, 502, 504), `already_in_place` reads the target back: a change
        that went through is not sent twice (a second cancel may notify attendees again).
        """
        waited = 0.0

        def on_retry(retry_state: RetryCallState) -> None:
            nonlocal waited
            waited = retry_state.upcoming_sleep or 0.0

        last: Answer | None = None
        retrying = AsyncRetrying(
            **tenacity_kwargs(
                self._policy,
                sleep=seatless(self._clock.sleep),
                seconds_left=self._seconds_left,
                on_retry=on_retry,
                on_deadline=on_deadline,
            )
        )
        try:
            async for attempt in retrying:
                with attempt:
                    last = await self._attempt(request, history, waited)
                    signal = retry_signal(last, self._policy)
                    if signal is None:
                        break
                    if already_in_place and _may_hide_a_change(last) and await already_in_place():
                        break
                    raise signal
        except Retryable:
            pass  # Out of attempts or time: `last` is the final answer.
        assert last is not None  # noqa: S101 - tenacity made at least one attempt.
        return last

    async def _attempt(
        self, request: _Request, history: list[AttemptResult], waited: float
    ) -> Answer:
        token = await self._tokens.current()
        answer = await self._send_once(request, history, waited, token)
        if isinstance(answer, GraphResponse) and answer.status == 401:
            claims = cae_claims(answer.header("WWW-Authenticate"))
            token = await self._tokens.refresh(token, claims)
            answer = await self._send_once(request, history, 0.0, token)
            if isinstance(answer, GraphResponse) and answer.status == 401:
                raise token_refused_error(self._tokens.source)
        return answer

    async def _send_once(
        self, request: _Request, history: list[AttemptResult], waited: float, token: str
    ) -> Answer:
        answer: Answer
        async with self._pacers[request.request_class].slot() as slot:
            if request.state is not None:
                request.state.sent = True
                request.state.sends += 1
            self._audit.write(
                OpSending(
                    run_id=self.run_id,
                    row=request.row,
                    op=request.op_name,
                    target=request.target,
                    attempt=len(history) + 1,
                    method=request.method,
                    path=request.path,
                    client_request_id=request.client_request_id,
                    purpose=request.purpose,
                )
            )
            started = self._clock.now()
            try:
                answer = await self._client.send(
                    request.method,
                    request.path,
                    token=token,
                    client_request_id=request.client_request_id,
                )
            except TransportError as exc:
                answer = exc
            else:
                pace(slot, answer, self._policy)
                answer = _checked(request, answer)
        if request.state is not None:
            request.state.last = answer  # A token refusal escapes; the row keeps its answer.
        self._count(answer)
        result = (
            AttemptResult(answer.status, answer.error_code)
            if isinstance(answer, GraphResponse)
            else AttemptResult(None, answer.kind)
        )
        history.append(result)
        self._audit.write(
            OpAttempt(
                run_id=self.run_id,
                row=request.row,
                op=request.op_name,
                attempt=len(history),
                method=request.method,
                path=request.path,
                status=answer.status,
                request_id=answer.request_id,
                client_request_id=request.client_request_id,
                duration_ms=round((self._clock.now() - started) * 1000, 1),
                retry_wait_ms=round(waited * 1000, 1) if waited else None,
                error_code=result.error_code,
                purpose=request.purpose,
            )
        )
        return answer

    def _count(self, answer: Answer) -> None:
        self.traffic.requests += 1
        key = str(answer.status) if isinstance(answer, GraphResponse) else answer.kind
        self.traffic.by_status[key] += 1
        if isinstance(answer, GraphResponse) and answer.status == 429:
            self.traffic.throttled += 1


def _may_hide_a_change(answer: Answer) -> bool:
    """True when the server may have applied a write without saying so."""
    return not isinstance(answer, GraphResponse) or answer.status in AMBIGUOUS_STATUSES


def _is_404(answer: Answer | None) -> bool:
    return isinstance(answer, GraphResponse) and answer.status == 404


def _is_error_success(answer: Answer | None) -> bool:
    return isinstance(answer, GraphResponse) and answer.ok and answer.error_code is not None


def _row_request(state: RowState) -> _Request:
    """The row's own request (its method, path and client-request-id)."""
    op = state.op
    return _Request(
        state.row,
        op.op,
        op.method,
        op.path,
        op.request_class,
        state.client_request_id,
        op.target,
        state=state,
    )


def _checked(request: _Request, answer: GraphResponse) -> Answer:
    """A get-session success that holds no session (or another one) is as unreadable as broken
    JSON: a transport fault, retried. A Graph error body keeps Graph's own code and message."""
    state = request.state
    if state is None or not isinstance(state.op, GetSession) or not answer.ok:
        return answer
    status, request_id = answer.status, answer.request_id
    if answer.error_code is not None:
        message = f"HTTP {status} with an error body: {answer.error_message or 'no message'}"
        return TransportError(answer.error_code, message, status, request_id)
    problem = shapes.not_the_session(answer.body, state.op.session_id)
    if problem is None:
        return answer
    return TransportError("not-a-session", f"HTTP {status} {problem}", status, request_id)
