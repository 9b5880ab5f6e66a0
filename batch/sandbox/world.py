"""The sandbox's world file: tokens, webinars, town halls, sessions and registrations.

A world is the starting state of the emulated tenant. It is validated once, when loaded, so a
typo in a hand-written world fails with a message naming the bad field instead of surfacing as
a puzzling 404 halfway through a rehearsal.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator

from batch.errors import UsageError

EventStatus = Literal["draft", "published", "canceled"]
RegistrationStatus = Literal[
    "registered", "canceled", "waitlisted", "pendingApproval", "rejectedByOrganizer"
]


def _assume_utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


UtcDateTime = Annotated[datetime, AfterValidator(_assume_utc)]
"""A datetime; one written without an offset is taken as UTC (as Graph's times are)."""
DEFAULT_START = datetime(2027, 1, 15, 15, 0, tzinfo=UTC)
"""When a session or event without explicit times starts (times are cosmetic in the sandbox)."""


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


AppGrant = Literal["access-policy", "rsc", "none"]
"""What an application token holds: `VirtualEvent.Read.All` with an application access policy,
resource-specific consent `VirtualEvent.Read.Chat`, or neither."""


class TokenSpec(_Model):
    """A bearer token the sandbox accepts; without `value` a JWT-shaped one is generated.

    A delegated token's kind (organizer, co-organizer, other user) follows from `upn` and each
    event's `organizer`/`coOrganizers`; an application token's kind is its `app_grant`.
    """

    name: str | None = None
    value: str | None = Field(default=None, min_length=1)
    app_only: bool = False
    app_grant: AppGrant = Field(default="access-policy", alias="appGrant")
    upn: str = "organizer@contoso.com"
    expires_at: UtcDateTime | None = None
    expires_in: float | None = Field(default=None, description="seconds after sandbox start")
    cae_challenge: bool = False

    @model_validator(mode="after")
    def _one_expiry(self) -> TokenSpec:
        if self.expires_at is not None and self.expires_in is not None:
            raise ValueError("give at most one of expires_at and expires_in")
        return self


class Session(_Model):
    """A session of an event (`virtualEventSession`)."""

    id: str = Field(min_length=1)
    subject: str = "Session"
    start: UtcDateTime = DEFAULT_START
    end: UtcDateTime | None = None
    join_web_url: str | None = Field(default=None, alias="joinWebUrl")

    @property
    def end_time(self) -> datetime:
        """The end, defaulting to one hour after the start."""
        return self.end or self.start + timedelta(hours=1)


class Registration(_Model):
    """A registrant and the session ids they are registered for."""

    id: str = Field(min_length=1)
    email: str = Field(min_length=3)
    user_id: str | None = Field(default=None, alias="userId")
    status: RegistrationStatus = "registered"
    first_name: str | None = Field(default=None, alias="firstName")
    last_name: str | None = Field(default=None, alias="lastName")
    sessions: tuple[str, ...] = ()


class Event(_Model):
    """A webinar or town hall with its sessions and registrations."""

    id: str = Field(min_length=1)
    display_name: str = Field(default="Virtual event", alias="displayName")
    status: EventStatus = "published"
    organizer: str | None = Field(
        default=None, description="upn allowed to cancel it; None lets any delegated token"
    )
    co_organizers: tuple[str, ...] = Field(
        default=(), alias="coOrganizers", description="upns that may read and update, not cancel"
    )
    start: UtcDateTime = DEFAULT_START
    end: UtcDateTime | None = None
    sessions: tuple[Session, ...] = ()
    registrations: tuple[Registration, ...] = ()

    @property
    def end_time(self) -> datetime:
        """The end, defaulting to one hour after the start."""
        return self.end or self.start + timedelta(hours=1)

    @model_validator(mode="after")
    def _consistent(self) -> Event:
        session_ids = [s.id for s in self.sessions]
        _no_duplicates(f"event {self.id!r} session ids", session_ids)
        _no_duplicates(f"event {self.id!r} registration ids", [r.id for r in self.registrations])
        emails = [r.email.lower() for r in self.registrations]
        _no_duplicates(f"event {self.id!r} registration emails", emails)
        for registration in self.registrations:
            unknown = set(registration.sessions) - set(session_ids)
            if unknown:
                raise ValueError(
                    f"registration {registration.id!r} names sessions not in event "
                    f"{self.id!r}: {sorted(unknown)}"
                )
        return self


class User(_Model):
    """A person's object id, so `getByUserIdAndRole(userId=...)` can name them by id."""

    id: str = Field(min_length=1)
    upn: str = Field(min_length=3)


class World(_Model):
    """The whole emulated tenant, as loaded from a world file."""

    tenant_id: str = "72f988bf-86f1-41af-91ab-2d7cd011db47"
    tokens: tuple[TokenSpec, ...] = ()
    users: tuple[User, ...] = ()
    webinars: tuple[Event, ...] = ()
    townhalls: tuple[Event, ...] = ()

    @model_validator(mode="after")
    def _unique(self) -> World:
        _no_duplicates("event ids", [e.id for e in (*self.webinars, *self.townhalls)])
        _no_duplicates("token values", [t.value for t in self.tokens if t.value is not None])
        _no_duplicates("user ids", [u.id for u in self.users])
        return self

    def upn_of(self, user_id: str) -> str:
        """The upn of the user with object id `user_id`; an unknown id is taken as a upn."""
        return next((u.upn for u in self.users if u.id.lower() == user_id.lower()), user_id)

    @classmethod
    def load(cls, path: str | Path) -> World:
        """Read and validate a YAML world file; any problem becomes one clear UsageError."""
        try:
            data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        except OSError as exc:
            raise UsageError(f"cannot read world file {path}: {exc.strerror or exc}") from exc
        except yaml.YAMLError as exc:
            raise UsageError(f"world file {path} is not valid YAML: {exc}") from exc
        try:
            return cls.model_validate(data or {})
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc']) or '(top)'}: {err['msg']}"
                for err in exc.errors()
            )
            raise UsageError(f"world file {path} is invalid: {problems}") from exc

    def dump_yaml(self) -> str:
        """The world as YAML that `World.load` reads back unchanged."""
        data = self.model_dump(mode="json", by_alias=True, exclude_none=True)
        return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def _no_duplicates(what: str, values: list[str]) -> None:
    dupes = sorted(value for value, count in Counter(values).items() if count > 1)
    if dupes:
        raise ValueError(f"duplicate {what}: {dupes}")
