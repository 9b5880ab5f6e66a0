"""The sandbox's permission table: each row against its source page, over HTTP, and in the docs."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest

from batch.operations import Cancel, CancelRegistration, GetSession, RemoveSession, event_path
from batch.sandbox import Sandbox, World
from batch.sandbox.config import PermissionMode
from batch.sandbox.permissions import PERMISSIVE, PUBLISHED, TABLES, TokenKind
from batch.sandbox.routing import Resource
from tests.conftest import SandboxFactory
from tests.sandbox_helpers import call

K = TokenKind
HOSTS = {K.ORGANIZER, K.CO_ORGANIZER}
DELEGATED = {*HOSTS, K.OTHER_USER}
EXPECTED_PUBLISHED: dict[Resource, tuple[set[TokenKind], str]] = {
    # page: delegated VirtualEvent.Read; application VirtualEvent.Read.All + access policy
    Resource.EVENT: (HOSTS | {K.APP_ACCESS_POLICY}, "virtualeventwebinar-get"),
    # page: delegated VirtualEvent.ReadWrite, organizer only; application not supported
    Resource.CANCEL_EVENT: ({K.ORGANIZER}, "virtualevent-cancel"),
    Resource.EVENT_SESSIONS: (HOSTS | {K.APP_ACCESS_POLICY}, "virtualevent-list-sessions"),
    Resource.SESSION: (HOSTS | {K.APP_ACCESS_POLICY}, "virtualeventsession-get"),
    # newest page: delegated not supported; application VirtualEvent.Read.Chat (RSC) only
    Resource.REGISTRATIONS: ({K.APP_RSC}, "virtualeventwebinar-list-registrations"),
    # page: delegated VirtualEvent.Read; application VirtualEvent.Read.Chat / .Read.All
    Resource.REGISTRATION: (
        HOSTS | {K.APP_ACCESS_POLICY, K.APP_RSC},
        "virtualeventregistration-get",
    ),
    # page: delegated VirtualEvent.ReadWrite; application only the Anon permission
    Resource.CANCEL_REGISTRATION: (HOSTS, "virtualeventregistration-cancel"),
    # newest page: delegated not supported; application VirtualEvent.Read.Chat (RSC) only
    Resource.REGISTRATION_SESSIONS: ({K.APP_RSC}, "virtualeventregistration-list-sessions"),
    # stub page: delegated VirtualEvent.ReadWrite
    Resource.SESSION_REF: (HOSTS, "virtualeventregistration-delete-sessions"),
    # page: delegated VirtualEvent.Read only (lists the signed-in user's events)
    Resource.EVENTS_BY_USER_ROLE: (DELEGATED, "virtualeventwebinar-getbyuserrole"),
    # page: delegated VirtualEvent.Read; application .Read.All / .Read.Chat + access policy
    Resource.EVENTS_BY_USER_ID_AND_ROLE: (
        DELEGATED | {K.APP_ACCESS_POLICY, K.APP_RSC},
        "virtualeventtownhall-getbyuseridandrole",
    ),
}
ORGANIZER, CO_ORGANIZER = "organizer@contoso.com", "co@contoso.com"
EVENT, REGISTRATION, SESSION = "e@t", "r@t", "s@t"
WORLD = World.model_validate(
    {
        "tokens": [
            {"name": K.ORGANIZER.value, "upn": ORGANIZER},
            {"name": K.CO_ORGANIZER.value, "upn": CO_ORGANIZER},
            {"name": K.OTHER_USER.value, "upn": "someone@contoso.com"},
            {"name": K.APP_ACCESS_POLICY.value, "app_only": True, "appGrant": "access-policy"},
            {"name": K.APP_RSC.value, "app_only": True, "appGrant": "rsc"},
            {"name": K.APP_NONE.value, "app_only": True, "appGrant": "none"},
        ],
        "webinars": [
            {
                "id": EVENT,
                "organizer": ORGANIZER,
                "coOrganizers": [CO_ORGANIZER],
                "sessions": [{"id": SESSION}],
                "registrations": [{"id": REGISTRATION, "email": "a@b.c", "sessions": [SESSION]}],
            }
        ],
    }
)
WEBINARS = "/solutions/virtualEvents/webinars"
REMOVE = RemoveSession(event_id=EVENT, registration_id=REGISTRATION, session_id=SESSION)
REQUESTS: dict[Resource, str] = {
    Resource.EVENT: event_path(REMOVE.event_type, EVENT),
    Resource.CANCEL_EVENT: Cancel(event_id=EVENT).path,
    Resource.EVENT_SESSIONS: f"{event_path(REMOVE.event_type, EVENT)}/sessions",
    Resource.SESSION: GetSession(event_id=EVENT, session_id=SESSION).path,
    Resource.REGISTRATIONS: f"{event_path(REMOVE.event_type, EVENT)}/registrations",
    Resource.REGISTRATION: REMOVE.registration_path,
    Resource.CANCEL_REGISTRATION: CancelRegistration(
        event_id=EVENT, registration_id=REGISTRATION
    ).path,
    Resource.REGISTRATION_SESSIONS: f"{REMOVE.registration_path}/sessions",
    Resource.SESSION_REF: REMOVE.path,
    Resource.EVENTS_BY_USER_ROLE: f"{WEBINARS}/getByUserRole(role='organizer')",
    Resource.EVENTS_BY_USER_ID_AND_ROLE: (
        f"{WEBINARS}/getByUserIdAndRole(userId='{ORGANIZER}',role='organizer')"
    ),
}


def test_every_resource_has_a_row_in_both_tables() -> None:
    """No resource the router knows is left out of either table."""
    assert set(PUBLISHED) == set(PERMISSIVE) == set(Resource)


@pytest.mark.parametrize("resource", list(EXPECTED_PUBLISHED))
def test_published_row_matches_its_page(resource: Resource) -> None:
    """Each published row admits exactly the kinds its page names, and cites that page."""
    kinds, page = EXPECTED_PUBLISHED[resource]
    assert set(PUBLISHED[resource].allowed) == kinds
    assert page in PUBLISHED[resource].source


def test_permissive_restricts_only_cancelling_an_event() -> None:
    """The permissive table keeps the older sandbox: every kind may do everything but cancel
    (and list "my events", which has no signed-in user for an application token)."""
    restricted = {r for r, spec in PERMISSIVE.items() if set(spec.allowed) != set(TokenKind)}
    assert restricted == {Resource.CANCEL_EVENT, Resource.EVENTS_BY_USER_ROLE}
    assert set(PERMISSIVE[Resource.CANCEL_EVENT].allowed) == {K.ORGANIZER}
    assert set(PERMISSIVE[Resource.EVENTS_BY_USER_ROLE].allowed) == DELEGATED


@pytest.mark.parametrize("mode", ["published", "permissive"])
async def test_the_sandbox_answers_as_its_table_says(
    sandbox_factory: SandboxFactory, http: aiohttp.ClientSession, mode: PermissionMode
) -> None:
    """Every (resource, token kind) gets 403 exactly when the table refuses it."""
    # Refused calls first, so that an admitted write cannot turn a later call into a 404.
    for resource, path in REQUESTS.items():
        sandbox: Sandbox = await sandbox_factory(world=WORLD, permissions=mode)
        spec = TABLES[mode][resource]
        for kind in sorted(TokenKind, key=lambda k: k in spec.allowed):
            token = sandbox.token_named(kind.value)
            reply = await call(http, sandbox, resource.method, path, token=token)
            refused = reply.status == 403
            assert refused == (kind not in spec.allowed), (resource, kind, reply.status)
            if refused:
                assert reply.json["error"]["code"] == "Forbidden"


def test_docs_show_the_published_table() -> None:
    """docs/sandbox.md shows every published row as the code has it."""
    docs = (Path(__file__).resolve().parent.parent / "docs" / "sandbox.md").read_text()
    for resource, spec in PUBLISHED.items():
        cells = ["✓" if kind in spec.allowed else "403" for kind in TokenKind]
        assert f"| `{resource.value}` | {' | '.join(cells)} | {spec.source} |" in docs, resource


async def test_batch_items_are_checked_one_by_one(
    sandbox_factory: SandboxFactory, http: aiohttp.ClientSession
) -> None:
    """Inside `$batch` each item meets the table on its own: the organizer's list of a
    registration's sessions is 403, its read of the registration 200."""
    sandbox = await sandbox_factory(world=WORLD)
    items = [
        {"id": "list", "method": "GET", "url": REQUESTS[Resource.REGISTRATION_SESSIONS]},
        {"id": "get", "method": "GET", "url": REQUESTS[Resource.REGISTRATION]},
    ]
    token = sandbox.token_named(K.ORGANIZER.value)
    reply = await call(http, sandbox, "POST", "/$batch", token=token, json_body={"requests": items})
    assert reply.status == 200
    statuses = {item["id"]: item["status"] for item in reply.json["responses"]}
    assert statuses == {"list": 403, "get": 200}
