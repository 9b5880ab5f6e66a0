"""Turn a record's raw fields into an `Operation`, or into friendly per-field problems.

Pydantic's messages name union branches and internal types (`remove-session.registration_id`,
`Input should be 'webinar' or 'townhall'`); admins need `registration_id: ...` and a hint.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

from pydantic import TypeAdapter, ValidationError
from pydantic_core import ErrorDetails

from batch.manifest.problems import shown
from batch.manifest.values import FieldProblem, is_ignored
from batch.operations import FIELD_NAMES, OP_NAMES, EventType, Operation

_ADAPTER: TypeAdapter[Operation] = TypeAdapter(Operation)
_EVENT_TYPES = " or ".join(kind.value for kind in EventType)
_KEYWORDS = {"op": frozenset(OP_NAMES), "event_type": frozenset(kind.value for kind in EventType)}
"""Fields whose values are keywords, read without regard to case (`Cancel`, `Webinar`)."""
_COMMENT_HINT = "; a manifest has no comment rows: delete the row to leave it out"


def _canonical_value(name: str, value: str) -> str:
    """A keyword in any case, and (as spreadsheets and Teams write it) `Town Hall`/`town-hall`."""
    keywords = _KEYWORDS.get(name)
    if not keywords:
        return value
    folded = value.lower()
    if folded in keywords:
        return folded
    squeezed = "".join(ch for ch in folded if ch not in " -_")
    inner_only = folded == folded.strip()  # surrounding spaces stay an error, as on ids
    return squeezed if inner_only and squeezed in keywords else value


def suggest(word: str, choices: tuple[str, ...]) -> str:
    """`"; did you mean 'x'?"` when `word` looks like a typo of one of `choices`, else ''."""
    close = difflib.get_close_matches(word.lower(), choices, n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def build_operation(fields: Mapping[str, str]) -> Operation | tuple[FieldProblem, ...]:
    """The operation `fields` describe, or every problem found with them."""
    data = {name: _canonical_value(name, value) for name, value in fields.items()}
    op = data.get("op")
    if op is None:
        return (FieldProblem("op", f"required (one of {', '.join(OP_NAMES)})"),)
    if op not in OP_NAMES:
        expected = ", ".join(OP_NAMES)
        hint = _COMMENT_HINT if op.startswith("#") else suggest(op, OP_NAMES)
        return (FieldProblem("op", f"unknown op {shown(op)} (expected one of {expected}){hint}"),)
    data = {name: value for name, value in data.items() if not is_ignored(name)}
    try:
        return _ADAPTER.validate_python(data)
    except ValidationError as exc:
        return tuple(_translate(error, op, fields) for error in exc.errors())


def _translate(error: ErrorDetails, op: str, fields: Mapping[str, str]) -> FieldProblem:
    # A discriminated union puts the branch first: ('remove-session', 'session_id').
    names = [part for part in error["loc"] if isinstance(part, str) and part in FIELD_NAMES]
    name = names[-1] if names else None
    kind = error["type"]
    if kind == "missing":
        return FieldProblem(name, f"required for op {op!r}")
    if kind == "extra_forbidden":
        return FieldProblem(name, f"not used by op {op!r}: leave it empty")
    if kind == "enum" and name == "event_type":
        given = fields.get(name, "")
        hint = suggest(given, tuple(kind.value for kind in EventType))
        return FieldProblem(name, f"must be {_EVENT_TYPES}, not {shown(given)}{hint}")
    message = plain_reason(error)
    if name is None:
        # Model-level checks (exactly one registration key) name their field in the message.
        name = next((field for field in FIELD_NAMES if field in message), None)
    return FieldProblem(name, message)


def plain_reason(error: ErrorDetails) -> str:
    """Pydantic's message without its `Value error, ` prefix: our validators' own words."""
    ctx: dict[str, Any] = dict(error.get("ctx") or {})
    if error["type"] == "value_error" and "error" in ctx:
        return str(ctx["error"])
    return error["msg"]
