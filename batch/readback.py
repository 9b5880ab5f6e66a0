"""Reading a write's target back within the token's reach: which GETs, and what they mean.

Shared by the run (verifying a write before it is trusted or re-sent) and the plan (whether
a row would change anything), so neither package imports the other.

Each write has a preferred read (the event's or registration's `status`, the registration's
sessions). Graph's newest tables put one of them out of a delegated token's reach: listing a
registration's sessions needs the application permission `VirtualEvent.Read.Chat`. When the
preferred read is refused or unsupported, remove-session falls back on what the token may do:
its `$ref` DELETE is idempotent, so the re-sent DELETE's 404 plus reads showing both the
registration and the session exist settle that the link is gone. `Reach` remembers refused
reads so the read budget is not spent asking again. Everything here but `Reach` is pure.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Any

from batch.http import shapes
from batch.http.client import GraphResponse
from batch.operations import (
    Cancel,
    CancelRegistration,
    GetSession,
    RemoveSession,
    event_path,
    is_canceled,
    session_path,
)


class Verified(StrEnum):
    """What reading the target back showed."""

    DONE = "done"
    """A read of the target showed it in the desired state."""
    DONE_BY_RESEND = "done-by-resend"
    """The read that shows it is out of the token's reach; the idempotent write answered 404
    and reads showed both ends of the link exist, so the link is gone."""
    NOT_DONE = "not_done"
    """The target exists and is not in the desired state."""
    MISSING = "missing"
    """The event or registration does not exist."""
    UNKNOWN = "unknown"
    """The read itself failed."""

    @property
    def done(self) -> bool:
        """True when the target is known to be in the desired state."""
        return self in (Verified.DONE, Verified.DONE_BY_RESEND)


WriteOperation = Cancel | RemoveSession | CancelRegistration
AnyOperation = WriteOperation | GetSession

OUT_OF_REACH = frozenset({400, 403, 405, 501})
"""Answers meaning "this token may not make this read" (403) or "Graph has no such read"."""


class Reach:
    """The kinds of read Graph refused this run's token (shared by every row of a run)."""

    def __init__(self) -> None:
        self._refused: set[str] = set()

    def refused(self, kind: str) -> bool:
        """True once a read of `kind` got an out-of-reach answer."""
        return kind in self._refused

    def note(self, kind: str, status: int | None) -> bool:
        """Remember `kind` as out of reach when `status` says so; returns whether it did."""
        if status in OUT_OF_REACH:
            self._refused.add(kind)
            return True
        return False


def verification_read(op: WriteOperation) -> tuple[str, str]:
    """`(kind, path)` of the GET whose answer shows whether `op`'s change is in place.

    `kind` names the read for `Reach`: the same read addressed by email is another kind (the
    metadata has no `/sessions` under an alternate key).
    """
    if isinstance(op, Cancel):
        return "event", event_path(op.event_type, op.event_id)
    keyed = "registration" if op.registration_id is not None else "registration-by-email"
    if isinstance(op, RemoveSession):
        return f"{keyed}-sessions", f"{op.registration_path}/sessions"
    return keyed, op.registration_path


def existence_paths(op: RemoveSession) -> tuple[str, str]:
    """The registration and the session a remove-session links (both readable by its token)."""
    return op.registration_path, session_path(op.event_type, op.event_id, op.session_id)


def read_existence(statuses: Sequence[int | None]) -> Verified:
    """Both ends of the link exist (after the DELETE answered 404: the link is gone), or not."""
    if any(status == 404 for status in statuses):
        return Verified.MISSING
    if all(status == 200 for status in statuses):
        return Verified.DONE_BY_RESEND
    return Verified.UNKNOWN


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
    sessions = shapes.items(body)
    if sessions is None:
        return Verified.UNKNOWN
    if session_id in {s.get("id") for s in sessions}:
        return Verified.NOT_DONE
    # Absent from one page of several proves nothing.
    return Verified.UNKNOWN if "@odata.nextLink" in body else Verified.DONE


def _canceled(body: dict[str, Any]) -> Verified:
    status = shapes.status(body)
    if status is None:
        return Verified.UNKNOWN
    return Verified.DONE if is_canceled(status) else Verified.NOT_DONE
