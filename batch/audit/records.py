"""Typed audit records: the schema admins' scripts and dashboards parse (see the README).

One JSON object per line. Every record has `ts` (ISO 8601 UTC), `event` and `run_id`. Fields are
only ever added, never renamed or removed; `SCHEMA_VERSION` goes up when fields are added.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = 2


class Outcome(StrEnum):
    """What finally happened to one manifest row."""

    SUCCEEDED = "succeeded"
    ALREADY_DONE = "already_done"
    SKIPPED = "skipped"
    FAILED = "failed"


def utc_now() -> datetime:
    """The timestamp every record carries."""
    return datetime.now(UTC)


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    ts: datetime = Field(default_factory=utc_now)
    run_id: str


class RunStarted(_Record):
    """First line of a run: what is about to be done, with which settings."""

    event: Literal["run.started"] = "run.started"
    schema_version: int = SCHEMA_VERSION
    tool_version: str
    manifest: str
    manifest_sha256: str
    settings: dict[str, Any]
    base_url: str
    operation_count: int | None = None
    resumed: bool = False


class OpAttempt(_Record):
    """One HTTP attempt for a row (several when retried)."""

    event: Literal["op.attempt"] = "op.attempt"
    row: int
    op: str
    attempt: int
    method: str
    path: str
    status: int | None = None
    request_id: str | None = None
    client_request_id: str
    duration_ms: float
    retry_wait_ms: float | None = None
    error_code: str | None = None
    purpose: Literal["operation", "verify", "preflight"] = "operation"


NOT_RUN_REASONS = frozenset({"deadline", "not-run"})
"""Skip reasons of rows a stop (deadline, Ctrl-C, refused token) left unrun."""


class OpFinished(_Record):
    """Exactly one per manifest row: its final outcome."""

    event: Literal["op.finished"] = "op.finished"
    row: int
    op: str
    target: dict[str, str]
    outcome: Outcome
    reason: str | None = None
    status: int | None = None
    attempts: int = 0
    request_id: str | None = None
    client_request_id: str | None = None
    error_code: str | None = None
    error_message: str | None = None
    duration_ms: float = 0.0
    labels: dict[str, str] = Field(default_factory=dict)
    subject: str | None = None
    startDateTime: str | None = None  # noqa: N815 - the documented field names are Graph's.
    endDateTime: str | None = None  # noqa: N815
    joinWebUrl: str | None = None  # noqa: N815

    @property
    def not_run(self) -> bool:
        """A row a stop left unrun (skipped for that), not one the selection chose to skip."""
        return self.outcome is Outcome.SKIPPED and self.reason in NOT_RUN_REASONS


class RunFinished(_Record):
    """Last line of a run: totals and the exit code."""

    event: Literal["run.finished"] = "run.finished"
    counts: dict[str, int]
    elapsed: float
    exit_code: int
    throttled: int = 0
    interrupted: bool = False
    settled_rate: dict[str, float] = Field(default_factory=dict)
    """Requests per second each class's pacer had learned by the end (schema 2)."""


AuditRecord = RunStarted | OpAttempt | OpFinished | RunFinished
"""Any line of the audit log."""
