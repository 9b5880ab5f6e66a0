"""Pre-flight: prove the token can work on the first write target before anything changes.

A wrong kind of token is the most common way a bulk run fails; finding out with one cheap GET
beats finding out with a thousand refused writes.
"""

from __future__ import annotations

from batch.auth.base import AccessToken
from batch.errors import AuthError
from batch.executor import Executor
from batch.graph_client import GraphResponse
from batch.operations import event_path
from batch.verify import AnyOperation


async def preflight(
    executor: Executor, token: AccessToken, first_write: tuple[int, AnyOperation] | None
) -> None:
    """Raise `AuthError` when the token cannot do this run's writes; send one GET at most."""
    if first_write is None:
        return
    row, op = first_write
    if token.kind == "app-only":
        raise AuthError(
            "this is an app-only (client-credentials) token, but cancelling events and changing "
            "registrations needs a delegated sign-in (cancel: of the event organizer); nothing "
            "was changed"
        )
    answer = await executor.read(row, op.op, event_path(op.event_type, op.event_id), "preflight")
    if isinstance(answer, GraphResponse) and answer.status == 403:
        raise AuthError(
            f"Graph refused to read event {op.event_id} (403 {answer.error_code or 'Forbidden'}): "
            "the token lacks VirtualEvent.ReadWrite or is not the organizer's; nothing was changed"
        )
