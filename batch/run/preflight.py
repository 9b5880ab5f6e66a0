"""Pre-flight: prove the token can do this run's writes before anything changes.

A wrong kind of token is the most common way a bulk run fails; finding out from its claims and
one cheap GET beats finding out from a thousand refused writes.
"""

from __future__ import annotations

from collections.abc import Collection

from batch.auth.base import AccessToken
from batch.auth.describe import check_token_for_ops, describe_token
from batch.errors import AuthError
from batch.http.client import GraphResponse
from batch.operations import event_path
from batch.readback import AnyOperation
from batch.run.executor import Executor


async def preflight(
    executor: Executor,
    token: AccessToken,
    ops: Collection[str],
    first_write: tuple[int, AnyOperation] | None,
) -> None:
    """Raise `AuthError` when the token cannot run `ops`; sends at most one GET."""
    if first_write is None:
        return
    refusal = check_token_for_ops(describe_token(token), set(ops))
    if refusal is not None:
        raise AuthError(f"{refusal}; nothing was changed")
    row, op = first_write
    # A 401 here is retried once with a refreshed token inside the executor, then AuthError.
    answer = await executor.read(row, op.op, event_path(op.event_type, op.event_id), "preflight")
    if isinstance(answer, GraphResponse) and answer.status == 403:
        raise AuthError(
            f"Graph refused to read event {op.event_id} (403 {answer.error_code or 'Forbidden'}): "
            "the token lacks VirtualEvent.ReadWrite or is not the organizer's; nothing was changed"
        )
