"""Seeded fault injection: each kind behaves as documented, and a seed reproduces a run."""

from __future__ import annotations

import time

import aiohttp
import pytest

from batch.operations import Cancel, CancelRegistration, EventType, event_path
from batch.sandbox import FaultConfig
from tests.conftest import SandboxFactory
from tests.sandbox_helpers import REG_ADELE, WEBINAR, WEBINAR_2, call

READ = event_path(EventType.WEBINAR, WEBINAR)
WRITE = CancelRegistration(event_id=WEBINAR, registration_id=REG_ADELE).path
CANCEL_KEY = f"cancel-registration:{WEBINAR}/{REG_ADELE}"


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("status_500", (500, "InternalServerError", None)),
        ("status_503", (503, "ServiceUnavailable", None)),
        ("status_503_retry_after", (503, "ServiceUnavailable", "2")),
        ("status_504", (504, "GatewayTimeout", None)),
        ("status_504_retry_after", (504, "GatewayTimeout", "2")),
    ],
)
async def test_status_faults_answer_without_applying(
    sandbox_factory: SandboxFactory,
    http: aiohttp.ClientSession,
    kind: str,
    expected: tuple[int, str, str | None],
) -> None:
    """A status fault answers its Graph error (with Retry-After when asked) and changes nothing."""
    sandbox = await sandbox_factory(faults={kind: 1.0})
    status, code, retry_after = expected
    reply = await call(http, sandbox, "POST", WRITE)
    assert reply.status == status
    assert reply.json["error"]["code"] == code
    assert reply.headers.get("retry-after") == retry_after
    assert sandbox.stats().applied == {}
    assert sandbox.stats().faults == {kind.removeprefix("status_").replace("_", "-"): 1}


@pytest.mark.parametrize(
    ("kind", "applied"), [("drop_before", {}), ("drop_after", {CANCEL_KEY: 1})]
)
async def test_drops_close_the_connection_before_or_after_applying(
    sandbox_factory: SandboxFactory, http: aiohttp.ClientSession, kind: str, applied: dict[str, int]
) -> None:
    """drop-before leaves the world unchanged; drop-after applies the change, then drops."""
    sandbox = await sandbox_factory(faults={kind: 1.0})
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await call(http, sandbox, "POST", WRITE)
    stats = sandbox.stats()
    assert stats.applied == applied
    assert stats.dropped == 1
    assert stats.by_status == {}
    status = sandbox.state()["webinars"][WEBINAR]["registrations"][REG_ADELE]["status"]
    assert status == ("canceled" if applied else "registered")


async def test_slow_fault_delays_the_answer(
    sandbox_factory: SandboxFactory, http: aiohttp.ClientSession
) -> None:
    """A slow fault sleeps base plus jitter before answering normally."""
    sandbox = await sandbox_factory(faults={"slow": 1.0, "slow_ms": 60, "slow_jitter_ms": 10})
    started = time.perf_counter()
    reply = await call(http, sandbox, "GET", READ)
    assert time.perf_counter() - started >= 0.06
    assert reply.status == 200
    assert sandbox.stats().faults == {"slow": 1}


async def test_bad_json_truncates_get_bodies_only(
    sandbox_factory: SandboxFactory, http: aiohttp.ClientSession
) -> None:
    """bad-json sends a 200 GET body that does not parse; writes are left alone and not counted."""
    sandbox = await sandbox_factory(faults={"bad_json": 1.0})
    reply = await call(http, sandbox, "GET", READ)
    assert reply.status == 200
    assert isinstance(reply.json, str)
    assert reply.json.startswith('{"@odata.type"')
    assert (await call(http, sandbox, "POST", WRITE)).status == 204
    assert sandbox.stats().faults == {"bad-json": 1}


async def test_faults_can_target_one_request_class(
    sandbox_factory: SandboxFactory, http: aiohttp.ClientSession
) -> None:
    """With only_class=write, reads are never faulted."""
    sandbox = await sandbox_factory(faults={"status_500": 1.0, "only_class": "write"})
    assert (await call(http, sandbox, "GET", READ)).status == 200
    assert (await call(http, sandbox, "POST", WRITE)).status == 500


async def test_faults_skip_control_endpoints(
    sandbox_factory: SandboxFactory, http: aiohttp.ClientSession
) -> None:
    """Control endpoints are never faulted, and auth failures draw no fault."""
    sandbox = await sandbox_factory(faults={"status_500": 1.0})
    async with http.get(f"{sandbox.base_url}/_sandbox/stats") as response:
        assert response.status == 200
    assert (await call(http, sandbox, "GET", READ, token=None)).status == 401
    assert sandbox.stats().faults == {}


async def _statuses(
    sandbox_factory: SandboxFactory, http: aiohttp.ClientSession, seed: int
) -> list[int]:
    faults = {"status_500": 0.2, "status_503": 0.2, "status_504": 0.2}
    sandbox = await sandbox_factory(faults=faults, seed=seed)
    paths = [READ, event_path(EventType.WEBINAR, WEBINAR_2)] * 15
    return [(await call(http, sandbox, "GET", path)).status for path in paths]


async def test_same_seed_same_faults(
    sandbox_factory: SandboxFactory, http: aiohttp.ClientSession
) -> None:
    """The same seed and request order reproduce the same faults; another seed differs."""
    first = await _statuses(sandbox_factory, http, seed=7)
    assert first == await _statuses(sandbox_factory, http, seed=7)
    assert first != await _statuses(sandbox_factory, http, seed=8)
    assert {500, 503, 504, 200} <= set(first)


async def test_drop_after_on_cancel_is_counted_once(
    sandbox_factory: SandboxFactory, http: aiohttp.ClientSession
) -> None:
    """After a drop-after, a retried cancel is a re-cancel: the change is applied exactly once."""
    sandbox = await sandbox_factory(faults={"drop_after": 0.5}, seed=3, recancel_status=409)
    path = Cancel(event_id=WEBINAR).path
    outcomes: list[int | str] = []
    for _ in range(6):
        try:
            outcomes.append((await call(http, sandbox, "POST", path)).status)
        except aiohttp.ServerDisconnectedError:
            outcomes.append("dropped")
    assert "dropped" in outcomes
    assert sandbox.stats().applied == {f"cancel:webinars/{WEBINAR}": 1}


@pytest.mark.parametrize(
    "specs",
    [["boom=0.1"], ["500"], ["503=x"], ["500=1.5"], ["500=0.6", "drop-after=0.6"]],
)
def test_fault_specs_are_validated(specs: list[str]) -> None:
    """Unknown kinds, missing or non-numeric probabilities and totals over 1 are refused."""
    with pytest.raises(ValueError, match=r"."):
        FaultConfig.parse(specs)


def test_fault_specs_parse() -> None:
    """`KIND=PROB` strings map onto FaultConfig fields."""
    config = FaultConfig.parse(["503-retry-after=0.1", "drop-after=0.2"])
    assert config.status_503_retry_after == 0.1
    assert config.drop_after == 0.2
    assert config.probability("drop-after") == 0.2
