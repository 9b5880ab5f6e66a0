"""Token refresh during a run, end to end: `CredentialTokenSource` over an azure-identity-protocol
credential that mints short-lived sandbox tokens, while the sandbox's clock moves with the
traffic. Proves renewal before expiry, one refresh and resend on a 401, and exit 3 when even a
fresh token is refused."""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from batch.auth.credential_source import CredentialTokenSource
from batch.exit_codes import ExitCode
from batch.sandbox import Sandbox, generate_world
from tests.auth_fakes import SandboxCredential
from tests.conftest import SandboxFactory
from tests.run_helpers import HUGE, RunResult, assert_consistent, assert_no_token_material, run
from tests.sandbox_helpers import TickingClock

WORLD, ROWS = generate_world(30, seed=7)
WRITES = [row for row in ROWS if row["op"] != "get-session"]
LIFETIME = 60.0
"""Seconds a minted token lasts, in sandbox time; the run spans several lifetimes."""
MARGIN = 40.0
"""Renew this long before expiry: more than the sandbox time a token can spend in flight.
Each request moves the sandbox clock about 9 s and the sandbox answers one at a time, so a
token fetched with 3 others (`concurrency=4`, rows starting together) is checked up to 30 s
later."""


async def _setup(
    sandbox_factory: SandboxFactory,
    *,
    lifetime: float = LIFETIME,
    accepted: Sequence[float] | None = None,
) -> tuple[Sandbox, TickingClock, SandboxCredential, CredentialTokenSource]:
    clock = TickingClock(step=3.0)
    sandbox = await sandbox_factory(world=WORLD, clock=clock, write_limit=HUGE, read_limit=HUGE)
    wall = clock.wall(sandbox)
    credential = SandboxCredential(sandbox, wall, lifetime=lifetime, accepted=accepted)
    source = CredentialTokenSource(
        credential,
        scope="https://graph.microsoft.com/.default",
        source="--auth azure-cli",
        hint="run `az login`",
        kind="delegated",
        margin=MARGIN,
        clock=wall,
    )
    return sandbox, clock, credential, source


def _statuses_by_request(result: RunResult) -> dict[str, list[int | None]]:
    """Each request's attempts' statuses in order, keyed by client-request-id."""
    seen: dict[str, list[int | None]] = {}
    for attempt in result.events("op.attempt"):
        seen.setdefault(attempt["client_request_id"], []).append(attempt["status"])
    return seen


def _assert_nothing_leaked(result: RunResult, credential: SandboxCredential) -> None:
    """No minted token in what the run printed or recorded."""
    audit = "\n".join(json.dumps(record) for record in result.audit)
    assert_no_token_material(credential.minted, result.out, result.err, audit)


async def test_token_renewed_before_it_expires(
    sandbox_factory: SandboxFactory, tmp_path: Path
) -> None:
    """A run spanning several token lifetimes renews ahead of expiry: no 401, all succeeded."""
    sandbox, clock, credential, source = await _setup(sandbox_factory)
    started = clock.now
    result = await run(ROWS, tmp_path, sandbox.base_url, source, concurrency=4)
    assert result.code == ExitCode.OK, result.err
    assert result.outcomes == {"succeeded": len(ROWS)}
    assert_consistent(result, sandbox, ROWS)
    # Without renewal the first token would have been refused: the run outlived it twice over.
    assert clock.now - started > 2 * LIFETIME
    assert len(credential.calls) >= 3
    assert 401 not in sandbox.stats().by_status
    # Each renewal came inside the margin, not after expiry (`at` is the sandbox's wall time).
    renewals = [call["at"] for call in credential.calls]
    assert all(later - earlier <= LIFETIME for earlier, later in itertools.pairwise(renewals))
    assert credential.closed
    _assert_nothing_leaked(result, credential)


@pytest.mark.parametrize("concurrency", [1, 4])
async def test_token_refused_early_is_refreshed_once(
    sandbox_factory: SandboxFactory, tmp_path: Path, concurrency: int
) -> None:
    """A token Graph refuses before its announced expiry (revoked): one refresh, the refused
    requests resent once with the new token, every row succeeded, nothing applied twice."""
    sandbox, _, credential, source = await _setup(
        sandbox_factory, lifetime=3600, accepted=[40, 3600]
    )
    result = await run(WRITES, tmp_path, sandbox.base_url, source, concurrency=concurrency)
    assert result.code == ExitCode.OK, result.err
    assert result.outcomes == {"succeeded": len(WRITES)}
    assert_consistent(result, sandbox, WRITES)
    assert len(credential.calls) == 2
    refused = sandbox.stats().by_status.get(401, 0)
    assert 1 <= refused <= concurrency
    refused_requests = [s for s in _statuses_by_request(result).values() if 401 in s]
    assert len(refused_requests) == refused
    assert all(statuses == [401, 204] for statuses in refused_requests), refused_requests
    _assert_nothing_leaked(result, credential)


async def test_fresh_token_refused_too_stops_the_run(
    sandbox_factory: SandboxFactory, tmp_path: Path
) -> None:
    """Refused, refreshed, refused again: exit 3 with one clear line; the row is failed
    `token-refused`, the rest skipped `not-run`; one op.finished per row."""
    sandbox, _, credential, source = await _setup(sandbox_factory, lifetime=3600, accepted=[40, -1])
    result = await run(WRITES, tmp_path, sandbox.base_url, source, concurrency=1)
    assert result.code == ExitCode.AUTH
    assert result.err.splitlines()[-1] == (
        "graph-batch: Graph refused the token from --auth azure-cli even after a refresh — "
        "run `az login`"
    )
    assert "Traceback" not in result.err
    assert len(credential.calls) == 2
    finished = result.events("op.finished")
    assert sorted(r["row"] for r in finished) == sorted({r["row"] for r in finished})
    assert len(finished) == len(WRITES)
    outcomes = [(r["outcome"], r["reason"]) for r in finished]
    done = outcomes.index(("failed", "token-refused"))
    assert done > 0
    refused = finished[done]
    assert refused["status"] == 401
    assert refused["error_code"] == "InvalidAuthenticationToken"
    assert refused["error_message"]
    assert refused["request_id"]
    assert outcomes[:done] == [("succeeded", None)] * done
    assert outcomes[done + 1 :] == [("skipped", "not-run")] * (len(WRITES) - done - 1)
    assert sandbox.stats().mutations_total == done
    assert all(count == 1 for count in sandbox.stats().applied.values())
    assert result.events("run.finished")[0]["exit_code"] == ExitCode.AUTH
    _assert_nothing_leaked(result, credential)
