"""`PlanSettings`: the subset of the run's settings a plan reads by, resolved the same way.

Same names, same precedence (flag > `GRAPH_BATCH_*` > manifest `settings:` > default) and the
same resolver as `run`, so a plan reads from exactly the tenant and API version the run will
write to, with the same default concurrency (4).
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import Field

from batch.graph_settings import GraphSettings, resolve_model
from batch.settings import CONCURRENCY, ManifestSettings


class PlanSettings(GraphSettings):
    """Everything that configures one plan."""

    concurrency: int = Field(default=4, ge=CONCURRENCY.ge, le=CONCURRENCY.le)


def resolve_plan_settings(
    cli: Mapping[str, object | None],
    env: Mapping[str, str],
    manifest: ManifestSettings,
    *,
    default_base_url: str | None = None,
) -> PlanSettings:
    """Merge flag > `GRAPH_BATCH_*` > manifest `settings:` > default; errors name the source."""
    return resolve_model(PlanSettings, cli, env, manifest, default_base_url=default_base_url)
