"""Reading a write's target back: which GET to send, and what its answer means (both pure)."""

from __future__ import annotations

from typing import Any

from batch.http.client import GraphResponse
from batch.operations import (
    Cancel,
    CancelRegistration,
    GetSession,
    RemoveSession,
    event_path,
    is_canceled,
)
from batch.run.outcomes import Verified

WriteOperation = Cancel | RemoveSession | CancelRegistration
AnyOperation = WriteOperation | GetSession


def verification_path(op: WriteOperation) -> str:
    """The GET whose answer shows whether `op`'s change is in place."""
    if isinstance(op, Cancel):
        return event_path(op.event_type, op.event_id)
    if isinstance(op, RemoveSession):
        return f"{op.registration_path}/sessions"
    return op.registration_path


def read_verification(op: WriteOperation, response: GraphResponse | None) -> Verified:
    """Interpret the verification GET's answer (None: it got no answer at all)."""
    if response is None:
        return Verified.UNKNOWN
    if response.status == 404:
        return Verified.MISSING
    if response.status != 200 or not isinstance(response.body, dict):
        return Verified.UNKNOWN
    if isinstance(op, RemoveSession):
        return _session_removed(op.session_id, response.body)
    return _canceled(response.body)


def _session_removed(session_id: str, body: dict[str, Any]) -> Verified:
    sessions = body.get("value")
    if not isinstance(sessions, list):
        return Verified.UNKNOWN
    if session_id in {s.get("id") for s in sessions if isinstance(s, dict)}:
        return Verified.NOT_DONE
    # Absent from one page of several proves nothing.
    return Verified.UNKNOWN if "@odata.nextLink" in body else Verified.DONE


def _canceled(body: dict[str, Any]) -> Verified:
    status = body.get("status")
    if not isinstance(status, str):
        return Verified.UNKNOWN
    return Verified.DONE if is_canceled(status) else Verified.NOT_DONE
