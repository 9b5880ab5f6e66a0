"""Pure classification: what one read says about whether a manifest row would change anything.

Each op needs exactly one GET (`read_path`); `classify` turns that op and the GET's result into a
`PlanRow`. No I/O here, so every case is a row in a unit-test table.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from batch.http import shapes
from batch.operations import Cancel, CancelRegistration, GetSession, RemoveSession, is_canceled
from batch.planning.reader import ReadResult
from batch.readback import Verified, read_existence, verification_read

AnyOperation = Cancel | RemoveSession | CancelRegistration | GetSession


class Classification(StrEnum):
    """What running a row now would do."""

    WILL_APPLY = "will-apply"
    ALREADY_DONE = "already-done"
    NOT_FOUND = "not-found"
    FORBIDDEN = "forbidden"
    ERROR = "error"
    UNKNOWN = "unknown"
    """The token may not read whether the change is in place (a delegated token may not list
    a registration's sessions); the targets exist, so a run sends it and its answer decides."""


WILL_SEND: frozenset[Classification] = frozenset(
    {Classification.WILL_APPLY, Classification.UNKNOWN}
)
"""Classifications whose rows `run --plan` sends."""

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
    """The GET that tells whether `op` would change anything (the run's verification read)."""
    return op.path if isinstance(op, GetSession) else verification_read(op)[1]


def _malformed(what: str, code: str | None = None) -> Verdict:
    return Verdict(Classification.ERROR, f"unreadable answer: {what}", code or "malformed-response")


def _sessions_verdict(op: RemoveSession, body: dict[str, object]) -> Verdict:
    sessions = shapes.items(body)
    if sessions is None:
        return _malformed("no `value` list of sessions")
    ids = {item.get("id") for item in sessions}
    if op.session_id in ids:
        return Verdict(Classification.WILL_APPLY, "session is on the registration")
    if "@odata.nextLink" in body:
        # Absent from one page of several proves nothing (the run's read-back agrees); calling
        # it done would let `run --plan` skip a removal that is still needed.
        return Verdict(Classification.WILL_APPLY, "session not on the first page of sessions")
    return Verdict(Classification.ALREADY_DONE, "session is not on the registration")


def _status_verdict(op: Cancel | CancelRegistration, body: dict[str, object]) -> Verdict:
    status = shapes.status(body)
    if status is None:
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


def existence_verdict(op: RemoveSession, results: list[ReadResult]) -> Verdict:
    """A remove-session the token may not look into, from reads of its registration and session."""
    found = read_existence([result.status for result in results])
    if found is Verified.MISSING:
        code = next(r.error_code for r in results if r.status == 404)
        return Verdict(Classification.NOT_FOUND, "registration or session not found", code)
    if found is Verified.DONE_BY_RESEND:
        detail = (
            "registration and session exist; this token may not list the registration's sessions"
        )
        return Verdict(Classification.UNKNOWN, detail)
    failed = next(r for r in results if r.status != 200)
    return verdict(op, failed)


def _missing(op: AnyOperation) -> str:
    if isinstance(op, Cancel):
        return "event not found"
    if isinstance(op, GetSession):
        return "event or session not found"
    return "event or registration not found"


def classify(
    index: int, line: int, op: AnyOperation, result: ReadResult, found: Verdict | None = None
) -> PlanRow:
    """The plan of one manifest row, from its op and the result of its read (or `found`)."""
    found = found or verdict(op, result)
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
