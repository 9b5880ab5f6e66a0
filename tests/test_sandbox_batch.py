"""JSON batching: validation, shuffled responses matched by id, dependsOn, per-item throttling."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from batch.operations import Cancel, CancelRegistration, EventType, GetSession, event_path
from batch.sandbox import Sandbox
from tests.conftest import SandboxFactory
from tests.sandbox_helpers import REG_ADELE, SESSION_2, WEBINAR, WEBINAR_2, FakeClock, call

READ = event_path(EventType.WEBINAR, WEBINAR)


def _get(ident: str, url: str = READ, **extra: Any) -> dict[str, Any]:
    return {"id": ident, "method": "GET", "url": url, **extra}


async def _batch(http: aiohttp.ClientSession, sandbox: Sandbox, requests: Any) -> Any:
    return await call(http, sandbox, "POST", "/$batch", json_body={"requests": requests})


async def test_batch_answers_every_item_by_id_in_shuffled_order(
    sandbox: Sandbox, http: aiohttp.ClientSession
) -> None:
    """20 items come back 200 with their own status/body, in an order other than sent."""
    requests = [_get(str(n)) for n in range(19)]
    requests.append(_get("session", GetSession(event_id=WEBINAR, session_id=SESSION_2).path))
    reply = await _batch(http, sandbox, requests)
    assert reply.status == 200
    responses = reply.json["responses"]
    ids = [r["id"] for r in responses]
    assert sorted(ids) == sorted(r["id"] for r in requests)
    assert ids != [r["id"] for r in requests]
    by_id = {r["id"]: r for r in responses}
    assert by_id["session"]["body"]["id"] == SESSION_2
    assert by_id["0"]["status"] == 200
    assert by_id["0"]["headers"]["Content-Type"] == "application/json"
    stats = sandbox.stats()
    assert stats.batches == 1
    assert stats.requests_total == 20
    assert stats.by_class == {"read": 20}


async def test_item_errors_are_graph_shaped_and_urls_take_either_form(
    sandbox: Sandbox, http: aiohttp.ClientSession
) -> None:
    """Item errors carry Graph error bodies; urls with or without a leading slash both work."""
    reply = await _batch(
        http,
        sandbox,
        [_get("a", READ.lstrip("/")), _get("b", "/solutions/virtualEvents/webinars/nope")],
    )
    by_id = {r["id"]: r for r in reply.json["responses"]}
    assert by_id["a"]["status"] == 200
    assert by_id["b"]["status"] == 404
    assert by_id["b"]["body"]["error"]["code"] == "NotFound"
    assert by_id["b"]["body"]["error"]["innerError"]["request-id"]


@pytest.mark.parametrize(
    "payload",
    [
        b"not json",
        b"[]",
        b"{}",
        b'{"requests": []}',
        b'{"requests": "x"}',
        b'{"requests": [1]}',
        b'{"requests": [{"id": "1", "method": "GET"}]}',
        b'{"requests": [{"id": "1", "method": "GET", "url": "https://evil.example/x"}]}',
        b'{"requests": [{"id": "1", "method": "BREW", "url": "/x"}]}',
        b'{"requests": [{"id": 1, "method": "GET", "url": "/x"}]}',
        b'{"requests": [{"id": "1", "method": "GET", "url": "/x"},'
        b' {"id": "1", "method": "GET", "url": "/y"}]}',
        b'{"requests": [{"id": "1", "method": "GET", "url": "/x", "dependsOn": ["9"]}]}',
        b'{"requests": [{"id": "1", "method": "GET", "url": "/x", "dependsOn": ["2"]},'
        b' {"id": "2", "method": "GET", "url": "/x", "dependsOn": ["1"]}]}',
        b'{"requests": [{"id": "1", "method": "GET", "url": "/x", "headers": []}]}',
    ],
)
async def test_malformed_batch_is_400(
    sandbox: Sandbox, http: aiohttp.ClientSession, payload: bytes
) -> None:
    """A malformed batch is refused whole with 400 BadRequest; no item runs."""
    async with http.post(
        f"{sandbox.base_url}/v1.0/$batch",
        data=payload,
        headers={"Authorization": f"Bearer {sandbox.token}", "Content-Type": "application/json"},
    ) as response:
        assert response.status == 400
        assert (await response.json())["error"]["code"] == "BadRequest"
    assert sandbox.stats().requests_total == 0


async def test_more_than_twenty_items_is_400(sandbox: Sandbox, http: aiohttp.ClientSession) -> None:
    """21 items exceed Graph's batch limit."""
    reply = await _batch(http, sandbox, [_get(str(n)) for n in range(21)])
    assert reply.status == 400
    assert "20" in reply.json["error"]["message"]


async def test_depends_on_orders_items_and_failed_dependency_gives_424(
    sandbox: Sandbox, http: aiohttp.ClientSession
) -> None:
    """Dependants run after their dependency; dependants of a failed item get 424 and don't run."""
    cancel = CancelRegistration(event_id=WEBINAR, registration_id=REG_ADELE)
    requests = [
        {"id": "read-after", "method": "GET", "url": cancel.registration_path, "dependsOn": ["c"]},
        {"id": "c", "method": "POST", "url": cancel.path},
        {"id": "bad", "method": "GET", "url": event_path(EventType.WEBINAR, "nope")},
        {
            "id": "never",
            "method": "POST",
            "url": Cancel(event_id=WEBINAR_2).path,
            "dependsOn": ["bad"],
        },
        {"id": "chain", "method": "GET", "url": READ, "dependsOn": ["never"]},
    ]
    reply = await _batch(http, sandbox, requests)
    by_id = {r["id"]: r for r in reply.json["responses"]}
    assert by_id["c"]["status"] == 204
    assert by_id["read-after"]["body"]["status"] == "canceled"
    assert by_id["bad"]["status"] == 404
    assert by_id["never"]["status"] == 424
    assert by_id["never"]["body"]["error"]["code"] == "FailedDependency"
    assert by_id["chain"]["status"] == 424
    assert sandbox.state()["webinars"][WEBINAR_2]["status"] == "published"


async def test_items_are_throttled_one_by_one_with_their_own_retry_after(
    sandbox_factory: SandboxFactory, http: aiohttp.ClientSession
) -> None:
    """Each item counts on the window; the envelope does not; a 429 item has Retry-After."""
    sandbox = await sandbox_factory(clock=FakeClock(), read_limit="3/10s")
    reply = await _batch(http, sandbox, [_get(str(n)) for n in range(5)])
    assert reply.status == 200
    statuses = sorted(r["status"] for r in reply.json["responses"])
    assert statuses == [200, 200, 200, 429, 429]
    throttled = [r for r in reply.json["responses"] if r["status"] == 429]
    assert all(r["headers"]["Retry-After"] == "10" for r in throttled)
    assert throttled[0]["body"]["error"]["code"] == "TooManyRequests"
    assert sandbox.stats().throttled == 2


async def test_batch_envelope_needs_a_token(sandbox: Sandbox, http: aiohttp.ClientSession) -> None:
    """A batch without a valid token is refused whole with 401."""
    reply = await call(
        http, sandbox, "POST", "/$batch", token=None, json_body={"requests": [_get("1")]}
    )
    assert reply.status == 401


@pytest.mark.parametrize(("kind", "applied"), [("drop_before", 0), ("drop_after", 1)])
async def test_envelope_drop_faults(
    sandbox_factory: SandboxFactory, http: aiohttp.ClientSession, kind: str, applied: int
) -> None:
    """A dropped batch applied none (drop-before) or all (drop-after) of its items."""
    sandbox = await sandbox_factory(faults={kind: 1.0})
    cancel = CancelRegistration(event_id=WEBINAR, registration_id=REG_ADELE).path
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await _batch(http, sandbox, [{"id": "1", "method": "POST", "url": cancel}])
    assert sandbox.stats().mutations_total == applied


async def test_item_status_faults(
    sandbox_factory: SandboxFactory, http: aiohttp.ClientSession
) -> None:
    """Status faults hit single items; the batch itself still answers 200."""
    sandbox = await sandbox_factory(faults={"status_503_retry_after": 1.0, "only_class": "read"})
    reply = await _batch(http, sandbox, [_get("1")])
    assert reply.status == 200
    item = reply.json["responses"][0]
    assert item["status"] == 503
    assert item["headers"]["Retry-After"] == "2"
