"""How the sandbox behaves: limits, fault probabilities and answers to unknowns, as frozen values.

Graph leaves some behaviour undocumented (what a second cancel returns, the 404 code, whether a
throttled request counts against the window); each is a setting here so a client can be tested
against every plausible answer.
"""

from __future__ import annotations

import time
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, model_validator

from batch.graph_settings import Limit
from batch.operations import RequestClass
from batch.settings import GRAPH_READ_LIMIT, GRAPH_WRITE_LIMIT, RateLimit

RetryAfterFormat = Literal["seconds", "fractional", "http-date"]
PermissionMode = Literal["published", "permissive"]
"""`published`: Microsoft's newest permission tables; `permissive`: the older, kinder sandbox."""
Shapes = Literal["schema", "example"]
"""`schema`: answers as the metadata describes them; `example`: as the pages' examples show them
(get-session wrapped in `{"value": {...}}`, times as plain strings)."""
FAULT_KINDS: dict[str, str] = {
    "500": "status_500",
    "503": "status_503",
    "503-retry-after": "status_503_retry_after",
    "504": "status_504",
    "504-retry-after": "status_504_retry_after",
    "drop-before": "drop_before",
    "drop-after": "drop_after",
    "slow": "slow",
    "bad-json": "bad_json",
}
"""CLI name of each fault kind -> its FaultConfig field (and its key in stats)."""
STATUS_FAULTS: frozenset[str] = frozenset(
    {"500", "503", "503-retry-after", "504", "504-retry-after"}
)
"""The faults that are just an error answer, so they also apply to single `$batch` items."""


class Clock(Protocol):
    """Where the sandbox reads time; tests inject a fake to move windows without sleeping."""

    def monotonic(self) -> float:
        """Seconds on a clock that never goes backwards."""
        ...


class SystemClock:
    """The real monotonic clock."""

    def monotonic(self) -> float:
        """`time.monotonic()`."""
        return time.monotonic()


_Probability = Field(default=0.0, ge=0.0, le=1.0)


class FaultConfig(BaseModel):
    """Probability of each injected fault per API request; at most one fault per request."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    status_500: float = _Probability
    status_503: float = _Probability
    status_503_retry_after: float = _Probability
    status_504: float = _Probability
    status_504_retry_after: float = _Probability
    drop_before: float = _Probability
    drop_after: float = _Probability
    slow: float = _Probability
    bad_json: float = _Probability
    only_class: RequestClass | None = Field(
        default=None, description="inject only into reads or only into writes"
    )
    retry_after_seconds: int = Field(default=2, ge=0, description="Retry-After on 503/504")
    slow_ms: float = Field(default=800.0, ge=0)
    slow_jitter_ms: float = Field(default=400.0, ge=0)

    @model_validator(mode="after")
    def _total_at_most_one(self) -> FaultConfig:
        if sum(self.probability(kind) for kind in FAULT_KINDS) > 1.0 + 1e-9:
            raise ValueError("fault probabilities must add up to at most 1")
        return self

    def probability(self, kind: str) -> float:
        """The probability of the fault kind named as on the command line (e.g. `drop-after`)."""
        value: float = getattr(self, FAULT_KINDS[kind])
        return value

    @classmethod
    def parse(cls, specs: list[str], **extra: object) -> FaultConfig:
        """Build from `KIND=PROB` strings as given to `--fault`; raises ValueError if malformed."""
        values: dict[str, object] = dict(extra)
        for spec in specs:
            kind, sep, prob = spec.partition("=")
            if not sep or kind.strip() not in FAULT_KINDS:
                raise ValueError(
                    f"expected KIND=PROBABILITY with KIND one of {', '.join(FAULT_KINDS)}, "
                    f"got {spec!r}"
                )
            try:
                values[FAULT_KINDS[kind.strip()]] = float(prob)
            except ValueError as exc:
                raise ValueError(f"probability in {spec!r} is not a number") from exc
        return cls.model_validate(values)


class SandboxConfig(BaseModel):
    """Every knob of the emulator; defaults are Graph's published behaviour."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    write_limit: Limit = GRAPH_WRITE_LIMIT
    read_limit: Limit = GRAPH_READ_LIMIT
    retry_after_format: RetryAfterFormat = "seconds"
    recancel_status: Literal[204, 400, 409] = 400
    not_found_code: Literal["NotFound", "itemNotFound"] = "NotFound"
    count_rejected: bool = Field(
        default=True, description="a 429-rejected request still takes a slot in the window"
    )
    faults: FaultConfig = FaultConfig()
    seed: int = 0
    latency_ms: float = Field(default=0.0, ge=0, description="added to every API request")
    latency_jitter_ms: float = Field(default=0.0, ge=0)
    max_batch_items: int = Field(default=20, ge=1)
    permissions: PermissionMode = "published"
    shapes: Shapes = "schema"
    page_size: int = Field(
        default=100, ge=1, description="items per page of a list; more are behind @odata.nextLink"
    )


class LimitsChange(BaseModel):
    """The body of `POST /_sandbox/limits`: the limits to enforce from now on."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    write_limit: Limit | None = None
    read_limit: Limit | None = None

    def by_class(self) -> dict[RequestClass, RateLimit]:
        """The limits given, by request class."""
        given = {RequestClass.WRITE: self.write_limit, RequestClass.READ: self.read_limit}
        return {klass: limit for klass, limit in given.items() if limit is not None}
