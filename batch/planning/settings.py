"""`PlanSettings`: where plan reads from and how fast, from flag > env > manifest > default.

The same precedence and `GRAPH_BATCH_*` names as `run`, so a plan reads from exactly the
tenant and API version the run will write to. (Fold into the runner's `RunSettings` once both
are on main.)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from batch.errors import UsageError
from batch.planning.http_reader import check_base_url
from batch.settings import (
    GRAPH_READ_LIMIT,
    GRAPH_WRITE_LIMIT,
    Limit,
    LogFormat,
    ManifestSettings,
)

ENV_PREFIX = "GRAPH_BATCH_"


class PlanSettings(BaseModel):
    """Everything that configures one plan."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    base_url: str = "https://graph.microsoft.com"
    api_version: Literal["v1.0", "beta"] = "v1.0"
    read_limit: Limit = GRAPH_READ_LIMIT
    write_limit: Limit = GRAPH_WRITE_LIMIT
    concurrency: int = Field(default=8, ge=1, le=256)
    log_format: LogFormat = "console"

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        return check_base_url(value)

    @property
    def api_root(self) -> str:
        """`{base_url}/{api_version}`: what request paths are relative to."""
        return f"{self.base_url}/{self.api_version}"


def env_var(name: str) -> str:
    """The environment variable for setting `name`, e.g. `GRAPH_BATCH_READ_LIMIT`."""
    return ENV_PREFIX + name.upper()


def resolve_plan_settings(
    cli: Mapping[str, object | None],
    env: Mapping[str, str],
    manifest: ManifestSettings,
    *,
    default_base_url: str | None = None,
) -> PlanSettings:
    """Merge flag > `GRAPH_BATCH_*` > manifest `settings:` > default; errors name the source."""
    chosen: dict[str, Any] = {"base_url": default_base_url} if default_base_url else {}
    origin: dict[str, str] = {}
    for name in PlanSettings.model_fields:
        flag = "--" + name.replace("_", "-")
        if cli.get(name) is not None:
            chosen[name], origin[name] = cli[name], flag
        elif env.get(env_var(name)):
            chosen[name], origin[name] = env[env_var(name)], env_var(name)
        elif getattr(manifest, name) is not None:
            chosen[name], origin[name] = getattr(manifest, name), f"manifest settings: {name}"
    try:
        return PlanSettings.model_validate(chosen)
    except ValidationError as exc:
        first = exc.errors()[0]
        name = str(first["loc"][0]) if first["loc"] else ""
        message = str(first.get("ctx", {}).get("error") or first["msg"])
        raise UsageError(f"{origin.get(name, name)}: {message}") from exc
    except UsageError as exc:
        raise UsageError(f"{origin.get('base_url', 'base URL')}: {exc.message}") from exc
