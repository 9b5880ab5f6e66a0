"""The sandbox authenticates like Graph: 401 shapes, expiry, CAE challenges, minted JWTs."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest

from batch.operations import EventType, event_path
from batch.sandbox import Sandbox, World
from batch.sandbox.world import TokenSpec
from tests.conftest import SandboxFactory
from tests.sandbox_helpers import WEBINAR, FakeClock, call

PATH = event_path(EventType.WEBINAR, WEBINAR)
CHALLENGE_PREFIX = (
    'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/'
    'authorize", client_id="00000003-0000-0000-c000-000000000000"'
)


def _claims(token: str) -> dict[str, object]:
    payload = token.split(".")[1]
    decoded: dict[str, object] = json.loads(base64.urlsafe_b64decode(payload + "=" * 4))
    return decoded


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer"},
        {"Authorization": "Basic abc"},
        {"Authorization": "Bearer x"},
    ],
)
async def test_missing_or_unknown_token_is_401(
    sandbox: Sandbox, http: aiohttp.ClientSession, headers: dict[str, str]
) -> None:
    """No token, a non-bearer scheme or an unlisted token answers 401 with Graph's challenge."""
    reply = await call(http, sandbox, "GET", PATH, token=None, headers=headers)
    assert reply.status == 401
    assert reply.json["error"]["code"] == "InvalidAuthenticationToken"
    assert reply.headers["www-authenticate"] == CHALLENGE_PREFIX
    assert sandbox.stats().by_status == {401: 1}


async def test_opaque_listed_token_is_accepted(
    sandbox: Sandbox, http: aiohttp.ClientSession
) -> None:
    """Any opaque string listed in the world is a valid token."""
    assert (await call(http, sandbox, "GET", PATH, token="short-lived-token")).status == 200


async def test_expires_in_counts_from_sandbox_start(
    sandbox_factory: SandboxFactory, http: aiohttp.ClientSession
) -> None:
    """A token with `expires_in: 60` works until 60 s after start, then answers 401 expired."""
    clock = FakeClock()
    sandbox = await sandbox_factory(clock=clock)
    assert (await call(http, sandbox, "GET", PATH, token="short-lived-token")).status == 200
    clock.advance(60)
    reply = await call(http, sandbox, "GET", PATH, token="short-lived-token")
    assert reply.status == 401
    assert "expired" in reply.json["error"]["message"]
    assert (await call(http, sandbox, "GET", PATH)).status == 200


async def test_expires_at_is_absolute(
    sandbox_factory: SandboxFactory, default_world: World, http: aiohttp.ClientSession
) -> None:
    """A token whose `expires_at` is past is refused; one in the future is accepted."""
    now = datetime.now(UTC)
    world = default_world.model_copy(
        update={
            "tokens": (
                TokenSpec(value="old", expires_at=now - timedelta(seconds=1)),
                TokenSpec(value="fresh", expires_at=now + timedelta(hours=1)),
            )
        }
    )
    sandbox = await sandbox_factory(world=world)
    assert (await call(http, sandbox, "GET", PATH, token="old")).status == 401
    assert (await call(http, sandbox, "GET", PATH, token="fresh")).status == 200


async def test_cae_token_is_challenged_once(sandbox: Sandbox, http: aiohttp.ClientSession) -> None:
    """A `cae_challenge` token's first request gets insufficient_claims with base64 claims."""
    first = await call(http, sandbox, "GET", PATH, token="cae-token")
    assert first.status == 401
    challenge = first.headers["www-authenticate"]
    assert challenge.startswith(CHALLENGE_PREFIX)
    assert 'error="insufficient_claims"' in challenge
    claims = challenge.split('claims="', 1)[1].rstrip('"')
    assert "access_token" in json.loads(base64.b64decode(claims))
    assert (await call(http, sandbox, "GET", PATH, token="cae-token")).status == 200


async def test_token_added_at_runtime_via_control_api(
    sandbox_factory: SandboxFactory, http: aiohttp.ClientSession
) -> None:
    """`POST /_sandbox/tokens` mints a JWT-shaped token accepted from then on."""
    sandbox = await sandbox_factory(permissions="permissive")  # any user may read the event
    async with http.post(
        f"{sandbox.base_url}/_sandbox/tokens", json={"upn": "new@contoso.com", "expires_in": 3600}
    ) as response:
        assert response.status == 201
        minted = (await response.json())["token"]
    claims = _claims(minted)
    assert claims["upn"] == "new@contoso.com"
    assert {"exp", "tid", "oid", "scp"} <= claims.keys()
    assert (await call(http, sandbox, "GET", PATH, token=minted)).status == 200
    async with http.post(f"{sandbox.base_url}/_sandbox/tokens", json={"app_only": "x"}) as bad:
        assert bad.status == 400


def test_minted_tokens_carry_delegated_or_app_claims(sandbox: Sandbox) -> None:
    """The organizer token has `upn`/`scp`; the app-only token has `appid`/`roles`, no `upn`."""
    delegated, app = _claims(sandbox.token), _claims(sandbox.app_only_token)
    assert delegated["upn"] == "organizer@contoso.com"
    assert "VirtualEvent.ReadWrite" in str(delegated["scp"])
    assert "upn" not in app
    assert app["roles"] == ["VirtualEvent.Read.All"]
    assert app["appid"]


async def test_named_tokens_and_naive_expiry_as_utc(
    sandbox_factory: SandboxFactory, default_world: World, http: aiohttp.ClientSession
) -> None:
    """World tokens are found by name; an `expires_at` without offset is read as UTC."""
    past = (datetime.now(UTC) - timedelta(minutes=5)).replace(tzinfo=None)
    world = default_world.model_copy(
        update={"tokens": (TokenSpec.model_validate({"name": "stale", "expires_at": past}),)}
    )
    sandbox = await sandbox_factory(world=world)
    assert (
        await call(http, sandbox, "GET", PATH, token=sandbox.token_named("stale"))
    ).status == 401
    with pytest.raises(LookupError):
        sandbox.token_named("nope")
