"""Turn a record's raw fields into an `Operation`, or into friendly per-field problems.

What a spreadsheet or an editor adds is undone here (keywords in any case, `Town Hall`, label
and result columns); the operation's own rules, and their messages, are `batch.operations`'.
"""

from __future__ import annotations

from collections.abc import Mapping

from batch.manifest.values import is_ignored
from batch.operations import (
    OP_NAMES,
    OPERATIONS,
    EventType,
    FieldProblem,
    Operation,
    make_operation,
)
from batch.wording import shown, suggest

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


def build_operation(fields: Mapping[str, str]) -> Operation | tuple[FieldProblem, ...]:
    """The operation `fields` describe, or every problem found with them."""
    data = {name: _canonical_value(name, value) for name, value in fields.items()}
    op = data.pop("op", None)
    if op is None:
        return (FieldProblem("op", f"required (one of {', '.join(OP_NAMES)})"),)
    if op not in OPERATIONS:
        expected = ", ".join(OP_NAMES)
        hint = _COMMENT_HINT if op.startswith("#") else suggest(op, OP_NAMES)
        return (FieldProblem("op", f"unknown op {shown(op)} (expected one of {expected}){hint}"),)
    given = {name: value for name, value in data.items() if not is_ignored(name)}
    return make_operation(OPERATIONS[op], given)
