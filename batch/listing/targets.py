"""Which Graph collections a listing pages through, and the permission each one needs.

Paths and permissions are Microsoft's published ones (see ../shared/GRAPH_API.md, "Endpoints"):
`getByUserRole` takes delegated tokens only; `getByUserIdAndRole` also takes an application
token with an application access policy; an event's registrations need the application
permission `VirtualEvent.Read.Chat` and Graph refuses delegated tokens for them.
"""

from __future__ import annotations

from dataclasses import dataclass

from batch.listing.kinds import ListKind
from batch.operations import EventType, event_path, segment

_APP_POLICY = "with an application access policy"
PERMISSIONS: dict[str, str] = {
    "getByUserRole": "the delegated permission VirtualEvent.Read (getByUserRole takes delegated "
    "tokens only; with an application token use --user-id)",
    "getByUserIdAndRole": "the delegated permission VirtualEvent.Read, or the application "
    f"permission VirtualEvent.Read.All or VirtualEvent.Read.Chat {_APP_POLICY}",
    "sessions": "the delegated permission VirtualEvent.Read, or the application permission "
    f"VirtualEvent.Read.All {_APP_POLICY}",
    "registrations": "the application permission VirtualEvent.Read.Chat (Graph refuses "
    "delegated tokens for it)",
}
"""What each endpoint needs, for the message a 403 gets."""


@dataclass(frozen=True)
class Collection:
    """One paged Graph collection: its first page and what its items are."""

    event_type: EventType
    path: str
    """The first page, relative to the API root (percent-encoded)."""
    endpoint: str
    """Key of `PERMISSIONS`, and the name a message gives the endpoint."""
    event_id: str = ""
    """The event the items belong to (sessions, registrations); empty for events."""

    @property
    def permission(self) -> str:
        """The permission this collection needs."""
        return PERMISSIONS[self.endpoint]


def _literal(value: str) -> str:
    """An OData string literal, percent-encoded inside its quotes."""
    return "'" + segment(value.replace("'", "''")) + "'"


def event_collections(
    event_types: tuple[EventType, ...], role: str, user_id: str | None
) -> list[Collection]:
    """The signed-in user's events (getByUserRole), or `user_id`'s (getByUserIdAndRole)."""
    if user_id is None:
        endpoint, call = "getByUserRole", f"getByUserRole(role={_literal(role)})"
    else:
        endpoint = "getByUserIdAndRole"
        call = f"getByUserIdAndRole(userId={_literal(user_id)},role={_literal(role)})"
    return [
        Collection(kind, f"/solutions/virtualEvents/{kind.collection}/{call}", endpoint)
        for kind in event_types
    ]


def event_collection(kind: ListKind, event_type: EventType, event_id: str) -> Collection:
    """An event's sessions or registrations."""
    path = f"{event_path(event_type, event_id)}/{kind.value}"
    return Collection(event_type, path, kind.value, event_id)
