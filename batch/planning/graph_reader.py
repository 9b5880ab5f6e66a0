"""`Reader` over the runner's own pieces: `GraphClient`, the read-class `Pacer`, the retry
policy (through tenacity) and the `TokenHolder`.

So a plan reads exactly as a run sends: the same client, limiter, Retry-After handling and
retries. Every attempt gets its own `client-request-id` (a plan has no audit log to tie them
to). A 401 gets one fresh token and one more try; a second 401 is the answer, which the planner
turns into `forbidden` (or a stop, on the first row).
"""

from __future__ import annotations

import uuid

from tenacity import AsyncRetrying

from batch.auth.token_holder import TokenHolder, cae_claims
from batch.errors import TransportError
from batch.http.client import GraphClient, GraphResponse
from batch.http.pacing import Clock, Pacer
from batch.http.retry_policy import Retryable, RetryPolicy, tenacity_kwargs
from batch.http.seats import seatless
from batch.http.transient import Answer, pace, retry_signal
from batch.planning.reader import ReadResult

PLAN_RETRY_POLICY = RetryPolicy(max_attempts=5, base=1.0, cap=30.0, max_retry_after=120.0)
"""Reads give up sooner than writes: a row still failing is classified `error`, not lost."""


class GraphReader:
    """Paced, retried, authenticated GETs; expected failures come back as `ReadResult`s."""

    def __init__(
        self,
        client: GraphClient,
        tokens: TokenHolder,
        pacer: Pacer,
        clock: Clock,
        policy: RetryPolicy = PLAN_RETRY_POLICY,
    ) -> None:
        self._client = client
        self._tokens = tokens
        self._pacer = pacer
        self._clock = clock
        self._policy = policy
        self.throttled = 0
        """Answers 429 so far (progress shows them, as `run`'s does)."""

    async def get(self, path: str) -> ReadResult:
        """The final answer for `path` (already percent-encoded, relative to the API root)."""
        last: Answer | None = None
        retrying = AsyncRetrying(**tenacity_kwargs(self._policy, sleep=seatless(self._clock.sleep)))
        try:
            async for attempt in retrying:
                with attempt:
                    last = await self._attempt(path)
                    signal = retry_signal(last, self._policy)
                    if signal is not None:
                        raise signal
        except Retryable:
            pass  # Out of attempts: `last` is the final answer.
        assert last is not None  # noqa: S101 - tenacity made at least one attempt.
        return _result(last)

    async def _attempt(self, path: str) -> Answer:
        token = await self._tokens.current()
        answer = await self._send(path, token)
        if isinstance(answer, GraphResponse) and answer.status == 401:
            # One fresh token, in case this one just expired (or a CAE challenge came back).
            claims = cae_claims(answer.header("WWW-Authenticate"))
            answer = await self._send(path, await self._tokens.refresh(token, claims))
        return answer

    async def _send(self, path: str, token: str) -> Answer:
        async with self._pacer.slot() as slot:
            try:
                answer = await self._client.send(
                    "GET", path, token=token, client_request_id=str(uuid.uuid4())
                )
            except TransportError as exc:
                return exc
            pace(slot, answer, self._policy)
            if answer.status == 429:
                self.throttled += 1
            return answer


def _not_object(answer: GraphResponse) -> bool:
    return answer.body is not None and not isinstance(answer.body, dict)


def _result(answer: Answer) -> ReadResult:
    if isinstance(answer, TransportError):
        return ReadResult(answer.status, error_code=answer.kind)
    if _not_object(answer):
        return ReadResult(answer.status, None, "invalid-json", answer.request_id)
    body = answer.body if isinstance(answer.body, dict) else None
    return ReadResult(answer.status, body, answer.error_code, answer.request_id)
