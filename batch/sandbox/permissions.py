"""Who may call what: the sandbox's permission table, as data, one spec per `Resource`.

Graph decides per endpoint and per kind of token. The `published` table follows Microsoft's
newest permission pages (each spec names its page under
https://learn.microsoft.com/graph/api/); `permissive` keeps the sandbox's older,
kinder behaviour (only cancelling an event is restricted) so a run can be compared in both.
A delegated token's kind depends on the event: its organizer, a co-organizer, or anyone else.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from batch.sandbox.config import PermissionMode
from batch.sandbox.routing import Resource
from batch.sandbox.tokens import TokenRecord
from batch.sandbox.world import AppGrant, Event


class TokenKind(StrEnum):
    """The kinds of caller Graph's permission tables tell apart."""

    ORGANIZER = "organizer"
    """Delegated: the signed-in user organizes the event."""
    CO_ORGANIZER = "co-organizer"
    """Delegated: the signed-in user is one of the event's co-organizers."""
    OTHER_USER = "other-user"
    """Delegated: anyone else."""
    APP_ACCESS_POLICY = "app-access-policy"
    """Application `VirtualEvent.Read.All` with an application access policy."""
    APP_RSC = "app-rsc"
    """Application with resource-specific consent `VirtualEvent.Read.Chat`."""
    APP_NONE = "app-none"
    """Application with neither."""

    @property
    def delegated(self) -> bool:
        """True for a signed-in user's token."""
        return self in _DELEGATED


_DELEGATED = frozenset({TokenKind.ORGANIZER, TokenKind.CO_ORGANIZER, TokenKind.OTHER_USER})
_HOSTS = frozenset({TokenKind.ORGANIZER, TokenKind.CO_ORGANIZER})
_EVERYONE = frozenset(TokenKind)


@dataclass(frozen=True)
class Spec:
    """Which token kinds one resource admits (every other kind gets 403), and the page saying so."""

    allowed: frozenset[TokenKind]
    source: str


PUBLISHED: dict[Resource, Spec] = {
    Resource.EVENT: Spec(
        _HOSTS | {TokenKind.APP_ACCESS_POLICY},
        "virtualeventwebinar-get, virtualeventtownhall-get",
    ),
    Resource.CANCEL_EVENT: Spec(frozenset({TokenKind.ORGANIZER}), "virtualevent-cancel"),
    Resource.EVENT_SESSIONS: Spec(
        _HOSTS | {TokenKind.APP_ACCESS_POLICY}, "virtualevent-list-sessions"
    ),
    Resource.SESSION: Spec(_HOSTS | {TokenKind.APP_ACCESS_POLICY}, "virtualeventsession-get"),
    Resource.REGISTRATIONS: Spec(
        frozenset({TokenKind.APP_RSC}), "virtualeventwebinar-list-registrations"
    ),
    Resource.REGISTRATION: Spec(
        _HOSTS | {TokenKind.APP_ACCESS_POLICY, TokenKind.APP_RSC}, "virtualeventregistration-get"
    ),
    Resource.CANCEL_REGISTRATION: Spec(_HOSTS, "virtualeventregistration-cancel"),
    Resource.REGISTRATION_SESSIONS: Spec(
        frozenset({TokenKind.APP_RSC}), "virtualeventregistration-list-sessions"
    ),
    Resource.SESSION_REF: Spec(
        _HOSTS, "virtualeventregistration-delete-sessions (unlinked stub page)"
    ),
    Resource.EVENTS_BY_USER_ROLE: Spec(
        _DELEGATED, "virtualeventwebinar-getbyuserrole, virtualeventtownhall-getbyuserrole"
    ),
    Resource.EVENTS_BY_USER_ID_AND_ROLE: Spec(
        _DELEGATED | {TokenKind.APP_ACCESS_POLICY, TokenKind.APP_RSC},
        "virtualeventwebinar-getbyuseridandrole, virtualeventtownhall-getbyuseridandrole",
    ),
}
"""Microsoft's newest tables. A user who neither organizes nor co-organizes the event gets 403
everywhere (the pages grant delegated access to the event's organizers only); application
`VirtualEventRegistration-Anon.ReadWrite.Chat`, which may cancel anonymous registrations, is
not one of the kinds here."""

PERMISSIVE: dict[Resource, Spec] = {
    resource: Spec(_EVERYONE, "sandbox default before the published tables")
    for resource in Resource
} | {
    Resource.CANCEL_EVENT: Spec(frozenset({TokenKind.ORGANIZER}), "virtualevent-cancel"),
    Resource.EVENTS_BY_USER_ROLE: Spec(_DELEGATED, "no signed-in user to list for an app"),
}
"""Every token may do everything except cancel an event, which stays the organizer's (and
list "my events", which an application token has no user for)."""

TABLES: dict[PermissionMode, dict[Resource, Spec]] = {
    "published": PUBLISHED,
    "permissive": PERMISSIVE,
}


def caller_kind(caller: TokenRecord, event: Event | None) -> TokenKind | None:
    """The kind of `caller` for `event`; None for a delegated caller of an unknown event (404)."""
    if caller.app_only:
        return _APP_KINDS[caller.app_grant]
    if event is None:
        return None
    upn = caller.upn.lower()
    if event.organizer is None or event.organizer.lower() == upn:
        return TokenKind.ORGANIZER
    if upn in {co.lower() for co in event.co_organizers}:
        return TokenKind.CO_ORGANIZER
    return TokenKind.OTHER_USER


_APP_KINDS: dict[AppGrant, TokenKind] = {
    "access-policy": TokenKind.APP_ACCESS_POLICY,
    "rsc": TokenKind.APP_RSC,
    "none": TokenKind.APP_NONE,
}


def allowed(mode: PermissionMode, resource: Resource, kind: TokenKind) -> bool:
    """True when `kind` may call `resource` under the `mode` table."""
    return kind in TABLES[mode][resource].allowed


def refusal_message(resource: Resource, kind: TokenKind, mode: PermissionMode) -> str:
    """The 403 message Graph gives a caller of this kind (wording modelled on Graph's)."""
    admitted = TABLES[mode][resource].allowed
    if kind.delegated and not admitted & _DELEGATED:
        return "Delegated permissions are not supported for this operation."
    if not kind.delegated and admitted <= _DELEGATED:
        return "Application permissions are not supported for this operation."
    if kind is TokenKind.APP_NONE:
        return "No Application Access Policy found for this app."
    if kind.delegated:
        who = "organizer and co-organizers" if TokenKind.CO_ORGANIZER in admitted else "organizer"
        return f"Only the event's {who} may do this."
    return "The application's permissions do not allow this operation."
