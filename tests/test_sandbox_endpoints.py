"""The sandbox answers each virtual-events endpoint like Graph: success and error shapes."""

from __future__ import annotations

import uuid
from typing import Any

import aiohttp
import pytest

from batch.operations import (
    Cancel,
    CancelRegistration,
    EventType,
    GetSession,
    RemoveSession,
    event_path,
    registration_path,
    segment,
)
from batch.sandbox import Sandbox
from tests.conftest import SandboxFactory
from tests.sandbox_helpers import (
    CANCELED_WEBINAR,
    CONOR_EMAIL,
    REG_ADELE,
    REG_CONOR,
    REG_LEE,
    SESSION_1,
    SESSION_2,
    TOWNHALL,
    WEBINAR,
    call,
)

WEBINAR_PATH = event_path(EventType.WEBINAR, WEBINAR)


def _assert_graph_error(body: Any, code: str, reply_headers: dict[str, str]) -> None:
    error = body["error"]
    assert error["code"] == code
    assert error["message"]
    inner = error["innerError"]
    assert inner["request-id"] == reply_headers["request-id"]
    assert inner["client-request-id"] == reply_headers["client-request-id"]
    assert len(inner["date"]) == 19


@pytest.mark.parametrize("version", ["v1.0", "beta"])
async def test_get_event_is_schema_shaped(
    sandbox: Sandbox, http: aiohttp.ClientSession, version: str
) -> None:
    """GET event answers 200 with @odata.type, status, displayName and UTC times, on both roots."""
    reply = await call(http, sandbox, "GET", WEBINAR_PATH, version=version)
    assert reply.status == 200
    assert reply.json["@odata.type"] == "#microsoft.graph.virtualEventWebinar"
    assert reply.json["id"] == WEBINAR
    assert reply.json["status"] == "published"
    assert reply.json["displayName"] == "Quarterly product update"
    assert reply.json["startDateTime"] == {
        "dateTime": "2027-01-15T15:00:00.0000000",
        "timeZone": "UTC",
    }
    townhall = await call(http, sandbox, "GET", event_path(EventType.TOWNHALL, TOWNHALL))
    assert townhall.json["@odata.type"] == "#microsoft.graph.virtualEventTownhall"


async def test_get_session_with_plus_slash_and_ampersand(
    sandbox: Sandbox, http: aiohttp.ClientSession
) -> None:
    """A session id with `+`, `&` and `/` (sent as %2F) is one segment and is found."""
    reply = await call(
        http, sandbox, "GET", GetSession(event_id=WEBINAR, session_id=SESSION_2).path
    )
    assert reply.status == 200
    assert reply.json["@odata.type"] == "#microsoft.graph.virtualEventSession"
    assert reply.json["id"] == SESSION_2
    assert reply.json["subject"] == "Q&A"
    assert reply.json["endDateTime"]["timeZone"] == "UTC"
    assert "joinWebUrl" in reply.json


@pytest.mark.parametrize(
    ("registration_id", "email"),
    [
        (REG_CONOR, None),
        (None, CONOR_EMAIL),
        (None, CONOR_EMAIL.lower()),
        (None, CONOR_EMAIL.upper()),
    ],
)
async def test_get_registration_by_id_or_email_with_quote(
    sandbox: Sandbox, http: aiohttp.ClientSession, registration_id: str | None, email: str | None
) -> None:
    """A registration is found by id, or by an email containing `'`, matched case-insensitively."""
    path = registration_path(EventType.WEBINAR, WEBINAR, registration_id, email)
    reply = await call(http, sandbox, "GET", path)
    assert reply.status == 200
    assert reply.json["@odata.type"] == "#microsoft.graph.virtualEventRegistration"
    assert reply.json["id"] == REG_CONOR
    assert reply.json["email"] == CONOR_EMAIL
    assert reply.json["status"] == "registered"


async def test_registration_by_user_id_and_its_sessions(
    sandbox: Sandbox, http: aiohttp.ClientSession
) -> None:
    """`registrations(userId='...')` works and a registration's sessions list as `value` (for
    an application with resource-specific consent, as the published table says)."""
    base = f"{WEBINAR_PATH}/registrations(userId='8b081ef6-4792-4def-b2c9-c363a1bf41d5')"
    rsc = sandbox.add_token(app_only=True, app_grant="rsc")
    reply = await call(http, sandbox, "GET", f"{base}/sessions", token=rsc)
    assert reply.status == 200
    assert [s["id"] for s in reply.json["value"]] == [SESSION_1, SESSION_2]


async def test_cancel_webinar_then_read_it_back(
    sandbox: Sandbox, http: aiohttp.ClientSession
) -> None:
    """Cancel answers 204 with no body; the event keeps `status: canceled` and one applied count."""
    reply = await call(http, sandbox, "POST", Cancel(event_id=WEBINAR).path)
    assert reply.status == 204
    assert reply.json is None
    event = await call(http, sandbox, "GET", WEBINAR_PATH)
    assert event.json["status"] == "canceled"
    assert sandbox.stats().applied == {f"cancel:webinars/{WEBINAR}": 1}


@pytest.mark.parametrize(
    ("recancel_status", "code"), [(400, "BadRequest"), (409, "Conflict"), (204, None)]
)
async def test_recancel_answers_as_configured_and_applies_nothing(
    sandbox_factory: SandboxFactory,
    http: aiohttp.ClientSession,
    recancel_status: int,
    code: str | None,
) -> None:
    """A second cancel (event or registration) answers the configured status and is not counted."""
    sandbox = await sandbox_factory(recancel_status=recancel_status)
    paths = [
        Cancel(event_id=CANCELED_WEBINAR).path,
        CancelRegistration(event_id=WEBINAR, registration_id=REG_ADELE).path,
    ]
    await call(http, sandbox, "POST", paths[1])
    for path in paths:
        reply = await call(http, sandbox, "POST", path)
        assert reply.status == recancel_status
        if code is not None:
            _assert_graph_error(reply.json, code, reply.headers)
    assert sandbox.stats().applied == {f"cancel-registration:{WEBINAR}/{REG_ADELE}": 1}


async def test_remove_session_by_email_then_again_is_404(
    sandbox: Sandbox, http: aiohttp.ClientSession
) -> None:
    """Remove-session answers 204 once; the session is gone; removing it again is 404."""
    path = RemoveSession(
        event_id=WEBINAR, registration_email=CONOR_EMAIL, session_id=SESSION_1
    ).path
    assert (await call(http, sandbox, "DELETE", path)).status == 204
    again = await call(http, sandbox, "DELETE", path)
    assert again.status == 404
    _assert_graph_error(again.json, "NotFound", again.headers)
    state = sandbox.state()["webinars"][WEBINAR]["registrations"][REG_CONOR]
    assert state["sessions"] == []
    assert sandbox.stats().applied == {f"remove-session:{WEBINAR}/{REG_CONOR}/{SESSION_1}": 1}


async def test_cancel_registration_on_townhall(
    sandbox: Sandbox, http: aiohttp.ClientSession
) -> None:
    """Cancel-registration answers 204 and the registration reads back as canceled."""
    op = CancelRegistration(
        event_type=EventType.TOWNHALL, event_id=TOWNHALL, registration_id=REG_LEE
    )
    assert (await call(http, sandbox, "POST", op.path)).status == 204
    reply = await call(http, sandbox, "GET", op.registration_path)
    assert reply.json["status"] == "canceled"


@pytest.mark.parametrize(
    "path",
    [
        event_path(EventType.WEBINAR, "no-such-event"),
        Cancel(event_type=EventType.TOWNHALL, event_id=WEBINAR).path,
        GetSession(event_id=WEBINAR, session_id="nope").path,
        RemoveSession(event_id=WEBINAR, registration_id="nope", session_id=SESSION_1).path,
        RemoveSession(event_id=WEBINAR, registration_id=REG_CONOR, session_id=SESSION_2).path,
        CancelRegistration(event_id=WEBINAR, registration_email="nobody@contoso.com").path,
        GetSession(event_id=WEBINAR, session_id=SESSION_2.replace("/", "")).path,
    ],
)
@pytest.mark.parametrize("code", ["NotFound", "itemNotFound"])
async def test_unknown_ids_are_404_with_configured_code(
    sandbox_factory: SandboxFactory, http: aiohttp.ClientSession, path: str, code: str
) -> None:
    """Unknown events, sessions, registrations or session references answer 404 with the code."""
    sandbox = await sandbox_factory(not_found_code=code)
    method = "DELETE" if path.endswith("$ref") else "POST" if path.endswith("cancel") else "GET"
    reply = await call(http, sandbox, method, path)
    assert reply.status == 404
    _assert_graph_error(reply.json, code, reply.headers)
    assert sandbox.stats().applied == {}


@pytest.mark.parametrize(
    ("path", "segment_name"),
    [
        ("/solutions/virtualEvents/meetings/x", "meetings"),
        ("/solutions/events/webinars/x", "events"),
        (f"{WEBINAR_PATH}/attendees", "attendees"),
        (f"{WEBINAR_PATH}/registrations/{segment(REG_ADELE)}/sessions/x/extra", "extra"),
        ("/me", "me"),
    ],
)
async def test_unknown_path_is_400_resource_not_found(
    sandbox: Sandbox, http: aiohttp.ClientSession, path: str, segment_name: str
) -> None:
    """A path Graph does not know answers 400 naming the segment."""
    reply = await call(http, sandbox, "GET", path)
    assert reply.status == 400
    _assert_graph_error(reply.json, "BadRequest", reply.headers)
    assert reply.json["error"]["message"] == f"Resource not found for the segment '{segment_name}'."


async def test_unknown_version_and_bad_alternate_key_are_400(
    sandbox: Sandbox, http: aiohttp.ClientSession
) -> None:
    """An unknown API version or an unterminated OData literal answers 400."""
    assert (await call(http, sandbox, "GET", WEBINAR_PATH, version="v2.0")).status == 400
    bad = f"{WEBINAR_PATH}/registrations(email='a'b@contoso.com')"
    assert (await call(http, sandbox, "GET", bad)).status == 400


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("DELETE", WEBINAR_PATH, "GET"),
        ("GET", Cancel(event_id=WEBINAR).path, "POST"),
        (
            "POST",
            RemoveSession(event_id=WEBINAR, registration_id="r", session_id="s").path,
            "DELETE",
        ),
        ("GET", "/$batch", "POST"),
    ],
)
async def test_wrong_method_on_known_path_is_405(
    sandbox: Sandbox, http: aiohttp.ClientSession, method: str, path: str, allow: str
) -> None:
    """A known path with the wrong method answers 405 with `Allow`."""
    reply = await call(http, sandbox, method, path)
    assert reply.status == 405
    assert reply.headers["allow"] == allow


async def test_graph_headers_on_every_response(
    sandbox: Sandbox, http: aiohttp.ClientSession
) -> None:
    """request-id is a new GUID each time; client-request-id is echoed or equals request-id."""
    first = await call(http, sandbox, "GET", WEBINAR_PATH)
    second = await call(http, sandbox, "GET", WEBINAR_PATH, headers={"client-request-id": "abc"})
    uuid.UUID(first.headers["request-id"])
    assert first.headers["client-request-id"] == first.headers["request-id"]
    assert first.headers["request-id"] != second.headers["request-id"]
    assert second.headers["client-request-id"] == "abc"
    assert "ServerInfo" in first.headers["x-ms-ags-diagnostic"]
    assert first.headers["date"].endswith("GMT")


async def test_app_only_token_may_read_but_not_cancel_events(
    sandbox: Sandbox, http: aiohttp.ClientSession
) -> None:
    """An app-only token (application access policy) reads the event, but cancelling the event
    or a registration is 403, as the published tables say."""
    token = sandbox.app_only_token
    assert (await call(http, sandbox, "GET", WEBINAR_PATH, token=token)).status == 200
    refused = await call(http, sandbox, "POST", Cancel(event_id=WEBINAR).path, token=token)
    assert refused.status == 403
    _assert_graph_error(refused.json, "Forbidden", refused.headers)
    op = CancelRegistration(event_id=WEBINAR, registration_id=REG_ADELE)
    assert (await call(http, sandbox, "POST", op.path, token=token)).status == 403
    assert sandbox.state()["webinars"][WEBINAR]["status"] == "published"
    assert sandbox.stats().applied == {}


async def test_delegated_non_organizer_cannot_cancel(
    sandbox: Sandbox, http: aiohttp.ClientSession
) -> None:
    """A delegated token whose upn is not the event's organizer gets 403 on cancel."""
    token = sandbox.add_token(upn="someone.else@contoso.com")
    reply = await call(http, sandbox, "POST", Cancel(event_id=WEBINAR).path, token=token)
    assert reply.status == 403
    assert sandbox.stats().applied == {}
