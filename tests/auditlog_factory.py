"""Build audit logs for tests from the real record models, so the schema is never faked."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from batch.audit.records import (
    AuditRecord,
    OpAttempt,
    OpFinished,
    OpSending,
    Outcome,
    RunFinished,
    RunStarted,
)

T0 = datetime(2026, 11, 1, 22, 0, tzinfo=UTC)


def started(run_id: str, *, resumed: bool = False, at: float = 0.0) -> RunStarted:
    """A `run.started` record `at` seconds after T0."""
    return RunStarted(
        ts=T0 + timedelta(seconds=at),
        run_id=run_id,
        tool_version="0.1.0",
        manifest="tonight.csv",
        manifest_sha256="0" * 64,
        settings={},
        base_url="https://graph.microsoft.com/v1.0",
        resumed=resumed,
    )


def row(
    run_id: str,
    number: int,
    outcome: Outcome,
    *,
    op: str = "cancel",
    target: dict[str, str] | None = None,
    **extra: Any,
) -> OpFinished:
    """An `op.finished` record; the target defaults to a webinar named after the row."""
    return OpFinished(
        ts=T0,
        run_id=run_id,
        row=number,
        op=op,
        target=target or {"event_type": "webinar", "event_id": f"e{number}"},
        outcome=outcome,
        **extra,
    )


def sending(
    run_id: str, number: int, *, method: str = "POST", purpose: str = "operation"
) -> OpSending:
    """The write-ahead `op.sending` of row `number`'s first request (client request id `c<n>`)."""
    return OpSending(
        ts=T0,
        run_id=run_id,
        row=number,
        op="cancel",
        target={"event_type": "webinar", "event_id": f"e{number}"},
        attempt=1,
        method=method,
        path=f"/solutions/virtualEvents/webinars/e{number}/cancel",
        client_request_id=f"c{number}",
        purpose=purpose,
    )


def attempt(
    run_id: str, number: int, status: int | None, *, client_request_id: str = "c"
) -> OpAttempt:
    """One `op.attempt` record with the given HTTP status (None: no answer)."""
    return OpAttempt(
        ts=T0,
        run_id=run_id,
        row=number,
        op="cancel",
        attempt=1,
        method="POST",
        path=f"/solutions/virtualEvents/webinars/e{number}/cancel",
        status=status,
        client_request_id=client_request_id,
        duration_ms=5.0,
    )


def run_finished(
    run_id: str, exit_code: int, *, elapsed: float = 12.5, throttled: int = 0
) -> RunFinished:
    """A `run.finished` record (counts are not re-checked by readers)."""
    return RunFinished(
        ts=T0 + timedelta(seconds=elapsed),
        run_id=run_id,
        counts={},
        elapsed=elapsed,
        exit_code=exit_code,
        throttled=throttled,
    )


def write_log(path: Path, records: Iterable[AuditRecord | str], tail: str = "") -> Path:
    """Write records as JSON lines (strings verbatim), then `tail` with no newline added."""
    lines = [r if isinstance(r, str) else r.model_dump_json() for r in records]
    path.write_text("".join(line + "\n" for line in lines) + tail)
    return path
