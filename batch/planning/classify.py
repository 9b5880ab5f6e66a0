"""Pure classification: what one read says about whether a manifest row would change anything.

Each op needs exactly one GET (`read_path`); `classify` turns that op and the GET's result into a
`PlanRow`. No I/O here, so every case is a row in a unit-test table.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from batch.operations import (
    Cancel,
    CancelRegistration,
    GetSession,
    RemoveSession,
    event_path,
    is_canceled,
)
from batch.planning.reader import ReadResult

AnyOperation = Cancel | RemoveSession | CancelRegistration | GetSession


class Classification(StrEnum):
    """What running a row now would do."""

    WILL_APPLY = "will-apply"
    ALREADY_DONE = "already-done"
    NOT_FOUND = "not-found"
    FORBIDDEN = "forbidden"
    ERROR = "error"


NEEDS_ATTENTION: frozenset[Classification] = frozenset(
    {Classification.NOT_FOUND, Classification.FORBIDDEN, Classification.ERROR}
)
"""Classifications that make `plan` exit 1: someone should look before running."""


class PlanRow(BaseModel):
    """One manifest row's plan: where it is, what it targets, and what a run would do.

    Also the row schema of plan.json, so what is reviewed is exactly what was classified.
    """

    model_config = ConfigDict(frozen=True)

    index: int
    line: int
    op: str
    target: dict[str, str]
    key: str
    classification: Classification
    status: int | None = None
    error_code: str | None = None
    detail: str | None = None


@dataclass(frozen=True)
class Verdict:
    """The classification part of a PlanRow, before the row's identity is attached."""

    classification: Classification
    detail: str | None = None
    error_code: str | None = None


def read_path(op: AnyOperation) -> str:
    """The one GET that tells whether `op` would change anything."""
    if isinstance(op, Cancel):
        return event_path(op.event_type, op.event_id)
    if isinstance(op, RemoveSession):
        return f"{op.registration_path}/sessions"
    if isinstance(op, CancelRegistration):
        return op.registration_path
    return op.path


def _malformed(what: str, code: str | None = None) -> Verdict:
    return Verdict(Classification.ERROR, f"unreadable answer: {what}", code or "malformed-response")


def _sessions_verdict(op: RemoveSession, body: dict[str, object]) -> Verdict:
    sessions = body.get("value")
    if not isinstance(sessions, list):
        return _malformed("no `value` list of sessions")
    ids = {item.get("id") for item in sessions if isinstance(item, dict)}
    if op.session_id in ids:
        return Verdict(Classification.WILL_APPLY, "session is on the registration")
    if "@odata.nextLink" in body:
        # Absent from one page of several proves nothing (the run's read-back agrees); calling
        # it done would let `run --plan` skip a removal that is still needed.
        return Verdict(Classification.WILL_APPLY, "session not on the first page of sessions")
    return Verdict(Classification.ALREADY_DONE, "session is not on the registration")


def _status_verdict(op: Cancel | CancelRegistration, body: dict[str, object]) -> Verdict:
    status = body.get("status")
    if not isinstance(status, str):
        return _malformed("no `status`")
    what = "event" if isinstance(op, Cancel) else "registration"
    if is_canceled(status):
        return Verdict(Classification.ALREADY_DONE, f"{what} is already canceled")
    return Verdict(Classification.WILL_APPLY, f"{what} status is {status}")


def _from_body(op: AnyOperation, body: dict[str, object]) -> Verdict:
    if isinstance(op, GetSession):
        return Verdict(Classification.WILL_APPLY, "session exists")
    if isinstance(op, RemoveSession):
        return _sessions_verdict(op, body)
    return _status_verdict(op, body)


def verdict(op: AnyOperation, result: ReadResult) -> Verdict:
    """What `result` (the answer to `read_path(op)`) says a run of `op` would do."""
    status = result.status
    if status is None:
        return Verdict(Classification.ERROR, "no answer from Graph", result.error_code)
    if status == 404:
        return Verdict(Classification.NOT_FOUND, _missing(op), result.error_code)
    if status in (401, 403):
        return Verdict(Classification.FORBIDDEN, f"HTTP {status}", result.error_code)
    if status != 200:
        return Verdict(
            Classification.ERROR, f"HTTP {status}", result.error_code or f"http-{status}"
        )
    if result.body is None:
        return _malformed("not a JSON object", result.error_code)
    return _from_body(op, result.body)


def _missing(op: AnyOperation) -> str:
    if isinstance(op, Cancel):
        return "event not found"
    if isinstance(op, GetSession):
        return "event or session not found"
    return "event or registration not found"


def classify(index: int, line: int, op: AnyOperation, result: ReadResult) -> PlanRow:
    """The plan of one manifest row, from its op and the result of its read."""
    found = verdict(op, result)
    return PlanRow(
        index=index,
        line=line,
        op=op.op,
        target=op.target,
        key=op.key,
        classification=found.classification,
        status=result.status,
        error_code=found.error_code,
        detail=found.detail,
    )
