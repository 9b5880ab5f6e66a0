"""The runner's small pure parts: refusal guard, exit codes, progress, summary, plan."""

from __future__ import annotations

import io
from collections import Counter
from pathlib import Path

import pytest
import structlog
from structlog.testing import capture_logs
from tenacity import AsyncRetrying

from batch.audit.records import Outcome
from batch.auth.describe import TokenInfo
from batch.display.terminal import as_text
from batch.exit_codes import ExitCode
from batch.http.retry_policy import Retryable, RetryPolicy, tenacity_kwargs
from batch.run.overview import destructive_count, estimate_seconds, overview, who
from batch.run.selection import Survey
from batch.run.settings import resolve_settings
from batch.run.summary import RunFacts, render_summary
from batch.run.workers import RunTotals, StopReason, WriteRefusalGuard
from tests.auditlog_factory import row
from tests.fake_clock import FakeClock

F, S = Outcome.FAILED, Outcome.SUCCEEDED


@pytest.mark.parametrize(
    ("planned", "results", "trips_at"),
    [
        (100, [(403, F)] * 5, 5),
        (100, [(403, F)] * 4 + [(204, S)], None),
        (100, [(204, S)] + [(403, F)] * 10, None),
        (100, [(403, F), (404, F), (403, F), (403, F), (403, F)], None),
        (3, [(403, F)] * 3, 3),
        (100, [(403, F)] * 10, 5),
    ],
)
def test_refusal_guard(
    planned: int, results: list[tuple[int, Outcome]], trips_at: int | None
) -> None:
    """Only when the first min(5, writes) results are all 403 does the run stop."""
    guard = WriteRefusalGuard(planned)
    trips = [n for n, (status, outcome) in enumerate(results, 1) if guard.observe(status, outcome)]
    assert trips == ([trips_at] if trips_at else [])


@pytest.mark.parametrize(
    ("counts", "stop", "code"),
    [
        ({"succeeded": 3, "already_done": 1, "skipped": 2}, None, ExitCode.OK),
        ({"succeeded": 3, "failed": 1}, None, ExitCode.FAILED),
        ({"succeeded": 3, "skipped": 2}, StopReason.DEADLINE, ExitCode.FAILED),
        ({"failed": 5, "skipped": 9}, StopReason.AUTH, ExitCode.AUTH),
        ({"failed": 1, "skipped": 9}, StopReason.INTERRUPTED, ExitCode.INTERRUPTED),
    ],
)
def test_exit_codes(counts: dict[str, int], stop: StopReason | None, code: ExitCode) -> None:
    """Interrupt beats auth beats failures/deadline beats success."""
    assert RunTotals(counts=Counter(counts), stop_reason=stop).exit_code is code


def test_summary_table() -> None:
    """Totals per outcome and per op, the failed rows, rows not run, traffic and the audit log."""
    totals = RunTotals()
    for record in (
        row("r", 2, Outcome.SUCCEEDED),
        row("r", 3, Outcome.FAILED, op="get-session", reason="rejected", error_code="NotFound"),
        row("r", 4, Outcome.SKIPPED, reason="deadline"),
    ):
        totals.add(record)
    facts = RunFacts(
        manifest="m.csv",
        requests=5,
        throttled=1,
        elapsed=3.25,
        audit_log=Path("a.jsonl"),
        exit_code=1,
        skipped={"not-in-plan: not-found": 2},
    )
    text = as_text(io.StringIO(), *render_summary(totals, facts))
    assert text.index("cancel") < text.index("get-session")
    assert "Failed rows (1)" in text
    assert "NotFound" in text
    assert "rejected" in text
    assert "skipped 2: not-in-plan: not-found" in text
    assert "1 row not run; run again with --resume" in text
    assert "graph-batch run m.csv --resume --audit-log a.jsonl" in text
    assert "throttled (429) 1" in text
    assert "audit log: a.jsonl" in text
    assert "elapsed 3.2s" in text or "elapsed 3.3s" in text


def test_plan_counts_and_estimate() -> None:
    """Destructive rows exclude reads; the estimate paces reads and writes separately."""
    survey = Survey(
        rows=60,
        to_send={"cancel": 45, "get-session": 10},
        skipped={"duplicate": 5},
        first_write=None,
    )
    settings = resolve_settings({}, {})
    assert destructive_count(survey) == 45
    assert estimate_seconds(survey, settings) == pytest.approx(60.0)
    text = as_text(io.StringIO(), overview(survey, settings))
    assert "5 rows: duplicate" in text
    assert "45 destructive" in text
    assert "at least 1m00s" in text


async def test_retries_are_logged_as_structured_events() -> None:
    """Each retry is one `retry` event with retry_num, wait_for and caused_by."""
    clock = FakeClock()
    kwargs = tenacity_kwargs(RetryPolicy(max_attempts=3), sleep=clock.sleep)

    async def always_throttled() -> None:
        async for attempt in AsyncRetrying(**kwargs):
            with attempt:
                raise Retryable("HTTP 429 TooManyRequests", retry_after=1.5)

    structlog.reset_defaults()  # whatever an earlier test configured, log at every level
    with capture_logs() as logs, pytest.raises(Retryable):
        await always_throttled()
    retries = [log for log in logs if log["event"] == "retry"]
    assert [(log["retry_num"], log["wait_for"]) for log in retries] == [(1, 1.5), (2, 1.5)]
    assert retries[0]["caused_by"] == "HTTP 429 TooManyRequests"


@pytest.mark.parametrize(
    ("info", "expected"),
    [
        (
            TokenInfo(kind="delegated", identity="jo@contoso.com", tenant="t1"),
            "user jo@contoso.com (delegated), tenant t1",
        ),
        (TokenInfo(kind="app-only", identity="nightly (a1)"), "app nightly (a1) (app-only)"),
        (TokenInfo(kind="unknown"), "a token graph-batch cannot read (not a JWT)"),
    ],
)
def test_confirmation_says_who(info: TokenInfo, expected: str) -> None:
    """The confirmation names the user or app and the tenant, or says it cannot tell."""
    assert who(info).startswith(expected)
