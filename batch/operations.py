"""The operations a manifest can ask for, each a frozen model that knows its request.

Every id is percent-encoded as exactly one path segment, so whatever an id contains (`/`, `..`,
`?`, `#`) the request can only ever address the intended endpoint.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from enum import StrEnum
from typing import Annotated, ClassVar, Literal
from urllib.parse import quote

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

MAX_ID_LENGTH = 256
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
DOT_SEGMENTS = frozenset({".", ".."})
"""Ids a proxy or server removing dot segments would drop from the path, changing the request."""


def _check_id(value: str) -> str:
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
    if len(value) > MAX_ID_LENGTH:
        raise ValueError(f"must be at most {MAX_ID_LENGTH} characters (got {len(value)})")
    return value


GraphId = Annotated[str, AfterValidator(_check_id)]
"""An opaque Graph id: non-empty, trimmed, printable, at most 256 characters."""


def _check_email(value: str) -> str:
    # email-validator (40 ms with the package metadata pydantic reads) loads only when a row
    # has an email: start-up stays fast.
    from email_validator import EmailNotValidError, validate_email  # noqa: PLC0415

    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(f"value is not a valid email address: {exc}") from None
    return value


Email = Annotated[str, AfterValidator(_check_id), AfterValidator(_check_email)]
"""A registrant's email, held to the same rules as an id (no surrounding whitespace) and sent
exactly as written; compared without regard to case (duplicates, `--resume`), as Graph does."""


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


class _Base(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=False)

    method: ClassVar[Literal["GET", "POST", "DELETE"]]
    request_class: ClassVar[RequestClass] = RequestClass.WRITE
    destructive: ClassVar[bool] = True

    event_type: EventType = EventType.WEBINAR
    event_id: GraphId

    @property
    def path(self) -> str:
        """Request path relative to the API version root (`/v1.0` or `/beta`)."""
        raise NotImplementedError

    @property
    def target(self) -> dict[str, str]:
        """The ids this operation addresses (what the audit log records as `target`)."""
        fields = self.model_dump(exclude={"op"}, mode="json", exclude_none=True)
        return {name: str(value) for name, value in fields.items()}

    @property
    def key(self) -> str:
        """Canonical identity of (op, target): equal keys mean the same change."""
        op: str = getattr(self, "op")  # noqa: B009 - every concrete operation defines `op`.
        return operation_key(op, self.target)


class _RegistrationOp(_Base):
    """An operation on one registration, addressed by id or by email."""

    registration_id: GraphId | None = None
    registration_email: Email | None = None

    @model_validator(mode="after")
    def _exactly_one_registration_key(self) -> _RegistrationOp:
        if (self.registration_id is None) == (self.registration_email is None):
            raise ValueError("give exactly one of registration_id or registration_email")
        return self

    @property
    def registration_path(self) -> str:
        """Path of the registration this operation changes."""
        return registration_path(
            self.event_type, self.event_id, self.registration_id, self.registration_email
        )


class Cancel(_Base):
    """Cancel a webinar or town hall (`POST .../{id}/cancel`)."""

    op: Literal["cancel"] = "cancel"
    method = "POST"

    @property
    def path(self) -> str:
        return f"{event_path(self.event_type, self.event_id)}/cancel"


class RemoveSession(_RegistrationOp):
    """Remove a session from a registration (`DELETE .../sessions/{id}/$ref`)."""

    op: Literal["remove-session"] = "remove-session"
    method = "DELETE"
    session_id: GraphId

    @property
    def path(self) -> str:
        return f"{self.registration_path}/sessions/{segment(self.session_id)}/$ref"


class CancelRegistration(_RegistrationOp):
    """Cancel a registration (`POST .../registrations/{id}/cancel`)."""

    op: Literal["cancel-registration"] = "cancel-registration"
    method = "POST"

    @property
    def path(self) -> str:
        return f"{self.registration_path}/cancel"


class GetSession(_Base):
    """Read a session (`GET .../sessions/{id}`); changes nothing."""

    op: Literal["get-session"] = "get-session"
    method = "GET"
    request_class = RequestClass.READ
    destructive = False
    session_id: GraphId

    @property
    def path(self) -> str:
        return session_path(self.event_type, self.event_id, self.session_id)


Operation = Annotated[
    Cancel | RemoveSession | CancelRegistration | GetSession, Field(discriminator="op")
]
"""Any one manifest operation, told apart by its `op` field."""

OP_NAMES: tuple[str, ...] = ("cancel", "remove-session", "cancel-registration", "get-session")
FIELD_NAMES: tuple[str, ...] = (
    "op",
    "event_type",
    "event_id",
    "registration_id",
    "registration_email",
    "session_id",
)
"""The manifest columns, in the order graph-batch writes them."""
