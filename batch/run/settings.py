"""`RunSettings`: the one frozen value a run is configured by (`plan` uses `GraphSettings`).

Resolved by `batch.graph_settings.resolve_model`: flag > `GRAPH_BATCH_*` > manifest > default.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from pydantic import Field, field_validator

from batch.durations import parse_duration
from batch.graph_settings import GraphSettings, resolve_model
from batch.settings import CONCURRENCY, DEADLINE, MAX_ATTEMPTS, MAX_DESTRUCTIVE, ManifestSettings


class RunSettings(GraphSettings):
    """Everything that configures one run; built once by `resolve_settings`."""

    concurrency: int = Field(default=4, ge=CONCURRENCY.ge, le=CONCURRENCY.le)
    max_attempts: int = Field(default=6, ge=MAX_ATTEMPTS.ge, le=MAX_ATTEMPTS.le)
    deadline: float | None = Field(default=None, gt=DEADLINE.gt)
    request_timeout: float = Field(default=60.0, gt=0, le=600)
    audit_log: Path | None = None
    yes: bool = False
    dry_run: bool = False
    quiet: bool = False
    max_destructive: int | None = Field(default=None, ge=MAX_DESTRUCTIVE.ge)
    shard: str | None = None
    resume: bool = False
    failures_csv: Path | None = None
    lock_file: Path | None = None
    plan: Path | None = None

    @field_validator("deadline", "request_timeout", mode="before")
    @classmethod
    def _duration(cls, value: object) -> object:
        return parse_duration(value) if isinstance(value, str) else value

    @field_validator("yes", "dry_run", "quiet", "resume", mode="before")
    @classmethod
    def _flag(cls, value: object) -> object:
        if isinstance(value, str) and value.strip().lower() in {"", "0", "no", "false", "off"}:
            return False
        if isinstance(value, str) and value.strip().lower() in {"1", "yes", "true", "on"}:
            return True
        return value


def resolve_settings(
    cli: Mapping[str, object | None],
    env: Mapping[str, str],
    manifest: ManifestSettings | None = None,
    *,
    default_base_url: str | None = None,
) -> RunSettings:
    """Merge the sources (CLI > env > manifest > default); a bad value names its source.

    `default_base_url` replaces the public Graph host when none is set (a national cloud's).
    """
    return resolve_model(RunSettings, cli, env, manifest, default_base_url=default_base_url)
