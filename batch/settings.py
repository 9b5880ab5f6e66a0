"""Run settings: one frozen, validated value built from CLI, environment and manifest.

The YAML `settings:` block is validated against `ManifestSettings` when the manifest is loaded;
the runner later merges it with `GRAPH_BATCH_*` variables and flags (CLI wins).
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer

from batch.auth.choices import AuthMode

_LIMIT = re.compile(r"^\s*(\d+)\s*/\s*(\d+(?:\.\d+)?)\s*s?\s*$")


class RateLimit(BaseModel):
    """At most `count` requests per `per_seconds` seconds, written `15/30s`."""

    model_config = ConfigDict(frozen=True)

    count: int = Field(gt=0)
    per_seconds: float = Field(gt=0)

    @classmethod
    def parse(cls, text: str) -> RateLimit:
        """Parse `N/Ts` (e.g. `15/30s`); raises ValueError with a readable message."""
        match = _LIMIT.match(text)
        if match is None:
            raise ValueError(f"expected a rate like 15/30s, got {text!r}")
        count, per_seconds = int(match[1]), float(match[2])
        if count <= 0 or per_seconds <= 0:
            raise ValueError(f"the count and the window must be above zero, got {text!r}")
        return cls(count=count, per_seconds=per_seconds)

    @property
    def per_second(self) -> float:
        """The sustained rate this limit allows."""
        return self.count / self.per_seconds

    def __str__(self) -> str:
        return f"{self.count}/{self.per_seconds:g}s"


def _coerce_limit(value: object) -> object:
    if isinstance(value, int | float) and not isinstance(value, bool):
        # YAML reads `write_limit: 15` as a number; say what is missing rather than "RateLimit".
        raise ValueError(f"expected a rate like 15/30s, got {value!r} (add the window: /30s)")
    return RateLimit.parse(value) if isinstance(value, str) else value


Limit = Annotated[RateLimit, BeforeValidator(_coerce_limit), PlainSerializer(str)]

GRAPH_WRITE_LIMIT = RateLimit(count=15, per_seconds=30)
"""Graph's published virtual-events write limit (per app, across all tenants)."""
LogFormat = Literal["console", "json"]
"""How diagnostics on stderr are written: readable lines, or one JSON object per line."""

GRAPH_READ_LIMIT = RateLimit(count=750, per_seconds=30)
"""Graph's published virtual-events read limit (per app, across all tenants)."""


class ManifestSettings(BaseModel):
    """Settings a YAML manifest may carry; every field optional, unknown keys rejected."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    base_url: str | None = None
    api_version: Literal["v1.0", "beta"] | None = None
    concurrency: int | None = Field(default=None, ge=1, le=256)
    write_limit: Limit | None = None
    read_limit: Limit | None = None
    max_attempts: int | None = Field(default=None, ge=1, le=100)
    deadline: float | None = Field(default=None, gt=0, description="total time budget, seconds")
    audit_log: str | None = None
    auth: AuthMode | None = None
    cloud: str | None = None
    max_destructive: int | None = Field(default=None, ge=0)
    log_format: LogFormat | None = None
