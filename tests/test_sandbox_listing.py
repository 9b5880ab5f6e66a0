"""The sandbox's lists: getByUserRole / getByUserIdAndRole, paging by opaque `$skiptoken`
links on the request's own host, and who may list what."""

from __future__ import annotations

import aiohttp
import pytest
from yarl import URL

from batch.sandbox import Sandbox, World
from batch.sandbox.generate import COLLEAGUES, ORGANIZER, generate_world
from tests.conftest import SandboxFactory
from tests.sandbox_helpers import call

WORLD, _ = generate_world(60, seed=2)
ROOT = "/solutions/virtualEvents"


def _ids(world: World, collection: str, upn: str, role: str) -> set[str]:
    events = world.webinars if collection == "webinars" else world.townhalls
    people = {
        event.id: [event.organizer] if role == "organizer" else list(event.co_organizers)
        for event in events
    }
    return {ident for ident, names in people.items() if upn in names}


async def _all_pages(http: aiohttp.ClientSession, sandbox: Sandbox, path: str) -> list[str]:
    """Every id behind `path`, following nextLink as given; asserts each link's shape."""
    ids: list[str] = []
    reply = await call(http, sandbox, "GET", path)
    while True:
        assert reply.status == 200, reply.json
        ids += [item["id"] for item in reply.json["value"]]
        link = reply.json.get("@odata.nextLink")
        if link is None:
            return ids
        assert link.startswith(f"{sandbox.api_root}{ROOT}/")
        assert "$skiptoken=" in link
        relative = link.removeprefix(sandbox.api_root)
        reply = await call(http, sandbox, "GET", relative)


@pytest.mark.parametrize("collection", ["webinars", "townhalls"])
@pytest.mark.parametrize("role", ["organizer", "coOrganizer"])
async def test_get_by_user_role_pages_the_callers_events(
    sandbox_factory: SandboxFactory, http: aiohttp.ClientSession, collection: str, role: str
) -> None:
    """The signed-in user's events in that role, 3 per page, each exactly once."""
    sandbox = await sandbox_factory(world=WORLD, page_size=3)
    ids = await _all_pages(http, sandbox, f"{ROOT}/{collection}/getByUserRole(role='{role}')")
    assert len(ids) == len(set(ids))
    assert set(ids) == _ids(WORLD, collection, ORGANIZER, role)


@pytest.mark.parametrize("role", ["organizer", "coOrganizer"])
async def test_get_by_user_id_and_role_names_a_user_by_object_id(
    sandbox_factory: SandboxFactory, http: aiohttp.ClientSession, role: str
) -> None:
    """userId is a user's object id (from the world's users), answered for an app token too."""
    sandbox = await sandbox_factory(world=WORLD, page_size=2)
    colleague = next(user for user in WORLD.users if user.upn == COLLEAGUES[0])
    path = f"{ROOT}/townhalls/getByUserIdAndRole(userId='{colleague.id}',role='{role}')"
    reply = await call(http, sandbox, "GET", path, token=sandbox.app_only_token)
    assert reply.status == 200
    expected = _ids(WORLD, "townhalls", colleague.upn, role)
    assert set(await _all_pages(http, sandbox, path)) == expected
    assert expected


@pytest.mark.parametrize(
    ("path", "token", "status"),
    [
        (f"{ROOT}/webinars/getByUserRole(role='organizer')", "app", 403),
        (f"{ROOT}/webinars/getByUserRole(role='attendee')", "me", 400),
        (f"{ROOT}/webinars/getByUserRole(role='organizer')?$skiptoken=forged", "me", 400),
        (f"{ROOT}/webinars/getByUserRole(userId='x')", "me", 400),
        (f"{ROOT}/webinars/getByUserRole(role='organizer')/more", "me", 400),
    ],
)
async def test_refusals(
    sandbox_factory: SandboxFactory,
    http: aiohttp.ClientSession,
    path: str,
    token: str,
    status: int,
) -> None:
    """App tokens may not use getByUserRole; bad roles, parameters, tokens and paths are 400."""
    sandbox = await sandbox_factory(world=WORLD)
    bearer = sandbox.app_only_token if token == "app" else sandbox.token
    assert (await call(http, sandbox, "GET", path, token=bearer)).status == status


async def test_batch_items_link_to_their_next_page(
    sandbox_factory: SandboxFactory, http: aiohttp.ClientSession
) -> None:
    """A list inside `$batch` links to its next page with an absolute URL too."""
    sandbox = await sandbox_factory(world=WORLD, page_size=1)
    body = {
        "requests": [
            {"id": "1", "method": "GET", "url": f"{ROOT}/townhalls/getByUserRole(role='organizer')"}
        ]
    }
    async with http.post(
        URL(f"{sandbox.api_root}/$batch"),
        json=body,
        headers={"Authorization": f"Bearer {sandbox.token}"},
    ) as response:
        answer = await response.json()
    link = answer["responses"][0]["body"]["@odata.nextLink"]
    assert link.startswith(f"{sandbox.api_root}{ROOT}/townhalls/getByUserRole(")
