"""`run --plan plan.json`: which rows a reviewed plan allows, and refusing a stale plan.

A plan is only valid for the exact manifest bytes it was made from; anything else (missing,
corrupt, another version, another manifest) is a `UsageError`, so the run stops before sending.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from batch.errors import UsageError
from batch.planning.classify import NEEDS_ATTENTION, WILL_SEND, Classification
from batch.planning.document import PLAN_VERSION, PlanDocument


@dataclass(frozen=True)
class PlanSelection:
    """The rows a plan says will apply, by (index, key): both must match to be run."""

    manifest_sha256: str
    rows: frozenset[tuple[int, str]]
    excluded: Mapping[tuple[int, str], Classification] = field(default_factory=dict)
    """Why the plan leaves out each other row: already-done, not-found, forbidden or error."""

    def includes(self, index: int, key: str) -> bool:
        """Whether the row at `index` with operation key `key` is one the plan will apply."""
        return (index, key) in self.rows

    def why_excluded(self, index: int, key: str) -> Classification | None:
        """The plan's classification of a row it leaves out (None: not in the plan at all)."""
        return self.excluded.get((index, key))

    def flagged(self, index: int, key: str) -> bool:
        """Whether the plan left the row out because it needs attention (not-found, ...)."""
        return self.why_excluded(index, key) in NEEDS_ATTENTION

    def __len__(self) -> int:
        return len(self.rows)


def _read(path: Path) -> object:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise UsageError(f"plan file {path} does not exist; run `graph-batch plan` first") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read plan file {path}: {exc}") from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(
            f"plan file {path} is not valid JSON (line {exc.lineno}): it is corrupt or was cut "
            "off; run `graph-batch plan` again"
        ) from exc


def load_plan(path: Path) -> PlanDocument:
    """Read and validate a plan file; UsageError saying what is wrong with it."""
    data = _read(path)
    version = data.get("plan_version") if isinstance(data, dict) else None
    if version != PLAN_VERSION:
        raise UsageError(
            f"plan file {path} is not a graph-batch plan of version {PLAN_VERSION} "
            f"(plan_version: {version!r})"
        )
    try:
        return PlanDocument.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise UsageError(f"plan file {path} is corrupt: {where}: {first['msg']}") from exc


def load_plan_selection(
    path: str | Path, manifest_sha256: str, base_url: str, api_version: str
) -> PlanSelection:
    """The rows of the plan at `path` a run sends (`will-apply`, `unknown`); refuses (UsageError)
    a plan of other manifest bytes, or one made against another Graph root or API version:
    what it found there says nothing about this target."""
    plan = load_plan(Path(path))
    planned_at = (plan.base_url.rstrip("/"), plan.api_version)
    if planned_at != (base_url.rstrip("/"), api_version):
        raise UsageError(
            f"plan file {path} was made against {planned_at[0]} ({planned_at[1]}); this run "
            f"targets {base_url.rstrip('/')} ({api_version}): run `graph-batch plan` against this "
            "target; nothing was sent"
        )
    if plan.manifest_sha256 != manifest_sha256:
        raise UsageError(
            f"plan file {path} was made for different manifest contents (sha256 "
            f"{plan.manifest_sha256[:12]}…, the manifest now has {manifest_sha256[:12]}…); "
            "the manifest changed since it was planned: run `graph-batch plan` again; "
            "nothing was sent"
        )
    rows = frozenset((row.index, row.key) for row in plan.rows if row.classification in WILL_SEND)
    excluded = {
        (row.index, row.key): row.classification
        for row in plan.rows
        if row.classification not in WILL_SEND
    }
    return PlanSelection(manifest_sha256, rows, excluded)
