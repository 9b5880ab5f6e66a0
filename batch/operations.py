"""The operations a manifest can ask for, each a frozen value that knows its request.

Every id is percent-encoded as exactly one path segment, so whatever an id contains (`/`, `..`,
`?`, `#`) the request can only ever address the intended endpoint.

Operations are standard-library dataclasses checked by plain Python, not pydantic models:
`graph-batch validate` must answer within 0.15 s and importing pydantic alone takes about
0.11 s. The rules exist once, in `field_problems` (which fields each op takes, what an id and an
email may be, exactly one registration key): constructing an operation applies them, and
`make_operation` uses them to list every problem of a manifest row at once.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, fields
from enum import StrEnum
from typing import Any, ClassVar, Literal
from urllib.parse import quote

from batch.wording import shown, suggest

MAX_ID_LENGTH = 256
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_INVISIBLE = frozenset({"Cf", "Zl", "Zp"})
DOT_SEGMENTS = frozenset({".", ".."})
"""Ids a proxy or server removing dot segments would drop from the path, changing the request."""


def check_id(value: str) -> str:
    """`value` if it may be a Graph id: non-empty, trimmed, printable (no control or formatting
    characters), at most 256 characters, not a dot segment; else ValueError saying why."""
    if not value:
        raise ValueError("must not be empty")
    if value in DOT_SEGMENTS:
        raise ValueError(
            f"must not be {value!r}: URL normalisation (RFC 3986 5.2.4) would turn it into "
            "another request"
        )
    if value != value.strip():
        raise ValueError("must not start or end with whitespace")
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters")
    if not value.isascii() and _invisible(value):
        raise ValueError(
            "must not contain invisible formatting characters (such as U+202E, a "
            "right-to-left override, or a zero-width space)"
        )
    if len(value) > MAX_ID_LENGTH:
        raise ValueError(f"must be at most {MAX_ID_LENGTH} characters (got {len(value)})")
    return value


def _invisible(value: str) -> bool:
    """Whether `value` holds a format or separator character (`Cf`, `Zl`, `Zp`): bidi overrides
    (U+202E), zero-width and line-separator characters. No Graph id has them, and they would
    make the id print as something it is not. Only non-printable characters are looked up."""
    return not value.isprintable() and any(
        unicodedata.category(ch) in _INVISIBLE for ch in value if not ch.isprintable()
    )


def check_email(value: str) -> str:
    """`value` if it is a registrant's email, held to the id rules too (no surrounding
    whitespace) and sent exactly as written; else ValueError saying why."""
    check_id(value)
    # email-validator (20-40 ms: it compiles large Unicode patterns) loads only when a row has
    # an email, so start-up stays fast.
    from email_validator import EmailNotValidError, validate_email  # noqa: PLC0415

    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(f"value is not a valid email address: {exc}") from None
    return value


class EventType(StrEnum):
    """The two kinds of Teams virtual event graph-batch handles."""

    WEBINAR = "webinar"
    TOWNHALL = "townhall"

    @property
    def collection(self) -> str:
        """The Graph collection segment: `webinars` or `townhalls`."""
        return f"{self.value}s"


class RequestClass(StrEnum):
    """Graph throttles reads and writes against separate budgets."""

    READ = "read"
    WRITE = "write"


def segment(value: str) -> str:
    """Percent-encode `value` as exactly one path segment (nothing is left unescaped)."""
    return quote(value, safe="")


def is_canceled(status: str) -> bool:
    """True for Graph's `canceled` status, in any case or spelling a stand-in may use."""
    return status.lower() in {"canceled", "cancelled"}


def event_path(event_type: EventType, event_id: str) -> str:
    """Path of a webinar or town hall, relative to the API version root."""
    return f"/solutions/virtualEvents/{event_type.collection}/{segment(event_id)}"


def session_path(event_type: EventType, event_id: str, session_id: str) -> str:
    """Path of one of an event's sessions, relative to the API version root."""
    return f"{event_path(event_type, event_id)}/sessions/{segment(session_id)}"


def registration_path(
    event_type: EventType, event_id: str, registration_id: str | None, email: str | None
) -> str:
    """Path of a registration, by id or by the `registrations(email='...')` alternate key."""
    base = event_path(event_type, event_id)
    if registration_id is not None:
        return f"{base}/registrations/{segment(registration_id)}"
    if email is None:
        raise ValueError("a registration needs registration_id or registration_email")
    # OData string literals escape a quote by doubling it.
    literal = segment(email.replace("'", "''"))
    return f"{base}/registrations(email='{literal}')"


def operation_key(op: str, target: Mapping[str, str]) -> str:
    """Canonical identity of (op, target), also computable from an audit record's fields."""
    canonical = dict(target)
    if "registration_email" in canonical:
        canonical["registration_email"] = canonical["registration_email"].lower()
    return json.dumps([op, canonical], sort_keys=True, separators=(",", ":"))


@dataclass(frozen=True)
class FieldProblem:
    """A problem with one field of one record, before it has a file and line."""

    field: str | None
    message: str


class InvalidOperationError(ValueError):
    """An operation built from values that break its rules; `problems` names each one."""

    def __init__(self, problems: tuple[FieldProblem, ...]) -> None:
        super().__init__("; ".join(f"{p.field or 'operation'}: {p.message}" for p in problems))
        self.problems = problems


_EVENT_TYPES = tuple(kind.value for kind in EventType)
_VALUE_RULES = {
    "event_id": check_id,
    "registration_id": check_id,
    "session_id": check_id,
    "registration_email": check_email,
}
"""Each id field's check; an email is held to the id rules and to email-validator's."""


def _value_problem(name: str, value: object) -> str | None:
    if name == "event_type":
        if value in _EVENT_TYPES:  # an EventType is its value
            return None
        given = str(value)
        return (
            f"must be {' or '.join(_EVENT_TYPES)}, not {shown(given)}{suggest(given, _EVENT_TYPES)}"
        )
    try:
        _VALUE_RULES[name](str(value))
    except ValueError as exc:
        return str(exc)
    return None


def field_problems(op_class: type[_Base], given: Mapping[str, object]) -> tuple[FieldProblem, ...]:
    """Every problem with `given` as the fields of `op_class`: field by field in the class's
    order, then the fields it does not take, then (only if all else is right) the registration
    key rule. `given` maps field names (not `op`) to values; None means not given."""
    op = op_class.op
    names, required = _shape(op_class)
    found: list[FieldProblem] = []
    for name in names:
        value = given.get(name)
        if value is None:
            if name in required:
                found.append(FieldProblem(name, f"required for op {op!r}"))
        elif (message := _value_problem(name, value)) is not None:
            found.append(FieldProblem(name, message))
    found += [
        FieldProblem(name, f"not used by op {op!r}: leave it empty")
        for name, value in given.items()
        if name not in names and value is not None
    ]
    if not found and issubclass(op_class, _RegistrationOp):
        keys = (given.get("registration_id"), given.get("registration_email"))
        if (keys[0] is None) == (keys[1] is None):
            found.append(
                FieldProblem(
                    "registration_id", "give exactly one of registration_id or registration_email"
                )
            )
    return tuple(found)


def make_operation(
    op_class: type[Operation], given: Mapping[str, str]
) -> Operation | tuple[FieldProblem, ...]:
    """The `op_class` operation of the raw text fields `given`, or every problem with them."""
    names, required = _shape(op_class)
    if not (given.keys() <= names.keys() and required <= given.keys()):
        return field_problems(op_class, given)
    values: dict[str, Any] = dict(given)
    try:
        return op_class(**values)
    except InvalidOperationError as exc:
        return exc.problems


_SHAPES: dict[type[_Base], tuple[dict[str, None], frozenset[str]]] = {}


def _shape(op_class: type[_Base]) -> tuple[dict[str, None], frozenset[str]]:
    """`op_class`'s field names in order, and those without a default; worked out once per class
    (every row asks)."""
    shape = _SHAPES.get(op_class)
    if shape is None:
        specs = fields(op_class)
        required = frozenset(spec.name for spec in specs if spec.default is MISSING)
        shape = _SHAPES[op_class] = (dict.fromkeys(spec.name for spec in specs), required)
    return shape


@dataclass(frozen=True, slots=True, kw_only=True)
class _Base:
    """What every operation has: its op name, request shape and the event it acts on."""

    op: ClassVar[str]
    method: ClassVar[Literal["GET", "POST", "DELETE"]]
    request_class: ClassVar[RequestClass] = RequestClass.WRITE
    destructive: ClassVar[bool] = True

    event_type: EventType = EventType.WEBINAR
    event_id: str

    def __post_init__(self) -> None:
        given = {name: getattr(self, name) for name in _shape(type(self))[0]}
        found = field_problems(type(self), given)
        if found:
            raise InvalidOperationError(found)
        # A manifest gives the event type as text: hold it as the enum member.
        object.__setattr__(self, "event_type", EventType(self.event_type))

    @property
    def path(self) -> str:
        """Request path relative to the API version root (`/v1.0` or `/beta`)."""
        raise NotImplementedError

    @property
    def target(self) -> dict[str, str]:
        """The ids this operation addresses (what the audit log records as `target`)."""
        values = ((name, getattr(self, name)) for name in _shape(type(self))[0])
        return {name: str(value) for name, value in values if value is not None}

    @property
    def key(self) -> str:
        """Canonical identity of (op, target): equal keys mean the same change."""
        return operation_key(self.op, self.target)


@dataclass(frozen=True, slots=True, kw_only=True)
class _RegistrationOp(_Base):
    """An operation on one registration, addressed by id or by email."""

    registration_id: str | None = None
    registration_email: str | None = None

    @property
    def registration_path(self) -> str:
        """Path of the registration this operation changes."""
        return registration_path(
            self.event_type, self.event_id, self.registration_id, self.registration_email
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Cancel(_Base):
    """Cancel a webinar or town hall (`POST .../{id}/cancel`)."""

    op: ClassVar[Literal["cancel"]] = "cancel"
    method = "POST"

    @property
    def path(self) -> str:
        return f"{event_path(self.event_type, self.event_id)}/cancel"


@dataclass(frozen=True, slots=True, kw_only=True)
class RemoveSession(_RegistrationOp):
    """Remove a session from a registration (`DELETE .../sessions/{id}/$ref`)."""

    op: ClassVar[Literal["remove-session"]] = "remove-session"
    method = "DELETE"
    session_id: str

    @property
    def path(self) -> str:
        return f"{self.registration_path}/sessions/{segment(self.session_id)}/$ref"


@dataclass(frozen=True, slots=True, kw_only=True)
class CancelRegistration(_RegistrationOp):
    """Cancel a registration (`POST .../registrations/{id}/cancel`)."""

    op: ClassVar[Literal["cancel-registration"]] = "cancel-registration"
    method = "POST"

    @property
    def path(self) -> str:
        return f"{self.registration_path}/cancel"


@dataclass(frozen=True, slots=True, kw_only=True)
class GetSession(_Base):
    """Read a session (`GET .../sessions/{id}`); changes nothing."""

    op: ClassVar[Literal["get-session"]] = "get-session"
    method = "GET"
    request_class = RequestClass.READ
    destructive = False
    session_id: str

    @property
    def path(self) -> str:
        return session_path(self.event_type, self.event_id, self.session_id)


Operation = Cancel | RemoveSession | CancelRegistration | GetSession
"""Any one manifest operation; its class says which (`op`)."""

OPERATIONS: dict[str, type[Operation]] = {
    op_class.op: op_class for op_class in (Cancel, RemoveSession, CancelRegistration, GetSession)
}
"""Each op name and its operation class, in the order graph-batch lists them."""
OP_NAMES: tuple[str, ...] = tuple(OPERATIONS)
FIELD_NAMES: tuple[str, ...] = (
    "op",
    "event_type",
    "event_id",
    "registration_id",
    "registration_email",
    "session_id",
)
"""The manifest columns, in the order graph-batch writes them."""
