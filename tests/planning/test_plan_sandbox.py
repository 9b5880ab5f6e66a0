"""`make_plan` end to end against the sandbox: every kind of row, reads only, plan.json."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from batch.auth.static_source import StaticTokenSource
from batch.display.terminal import as_text
from batch.errors import AuthError
from batch.manifest import validate_manifest
from batch.planning import load_plan, load_plan_selection
from batch.planning.classify import Classification
from batch.planning.service import make_plan
from batch.planning.settings import PlanSettings
from batch.planning.summary import render_summary
from batch.planning.tally import PlanTally
from batch.sandbox import Sandbox
from batch.settings import RateLimit
from tests.conftest import SandboxFactory
from tests.planning.world import EVERY_KIND, PLAN_WORLD, READS_FOR_EVERY_KIND, write_manifest


@pytest.fixture
async def world_sandbox(sandbox_factory: SandboxFactory) -> Sandbox:
    """The sandbox serving the every-kind world, letting the organizer list a registration's
    sessions (the published tables do not: see test_remove_session_beyond_the_tokens_reach)."""
    return await sandbox_factory(world=PLAN_WORLD, permissions="permissive")


async def plan(sandbox: Sandbox, manifest: Path, out: Path | None, token: str) -> PlanTally:
    """Plan `manifest` against `sandbox` with `token`."""
    settings = PlanSettings(base_url=sandbox.base_url, concurrency=3)
    tokens = StaticTokenSource(token, source="test")
    return await make_plan(validate_manifest(manifest), settings, tokens, out=out)


async def test_every_kind_of_row(world_sandbox: Sandbox, tmp_path: Path) -> None:
    """Each row gets its expected classification, in order, with its line, in plan.json."""
    manifest = write_manifest(tmp_path / "job.csv", [row for row, _ in EVERY_KIND])
    out = tmp_path / "plan.json"
    await plan(world_sandbox, manifest, out, world_sandbox.token)
    document = load_plan(out)
    assert [r.classification for r in document.rows] == [want for _, want in EVERY_KIND]
    assert [r.line for r in document.rows] == list(range(2, 2 + len(EVERY_KIND)))
    assert document.manifest_sha256 == validate_manifest(manifest).sha256
    assert document.base_url == world_sandbox.base_url
    assert document.counts == {
        "will-apply": 6,
        "already-done": 3,
        "not-found": 4,
        "forbidden": 0,
        "error": 0,
        "unknown": 0,
    }
    assert document.will_apply_writes == 5
    assert document.estimated_write_seconds == 0.0  # 5 writes fit in the first window of 15/30s
    not_found = [r for r in document.rows if r.classification is Classification.NOT_FOUND]
    assert all(r.status == 404 and r.error_code == "NotFound" for r in not_found)


async def test_plan_sends_no_writes(world_sandbox: Sandbox, tmp_path: Path) -> None:
    """Planning reads only: no POST/DELETE, no applied mutation, the world unchanged."""
    manifest = write_manifest(tmp_path / "job.csv", [row for row, _ in EVERY_KIND])
    before = world_sandbox.state()
    await plan(world_sandbox, manifest, None, world_sandbox.token)
    stats = world_sandbox.stats()
    assert stats.by_method == {"GET": READS_FOR_EVERY_KIND}
    assert (stats.mutations_total, stats.applied) == (0, {})
    assert world_sandbox.state() == before


async def test_rows_on_one_target_share_one_read(world_sandbox: Sandbox, tmp_path: Path) -> None:
    """Fifty rows reading one event cost one GET."""
    rows = [{"op": "cancel", "event_id": EVERY_KIND[0][0]["event_id"]}] * 50
    manifest = write_manifest(tmp_path / "job.csv", rows)
    await plan(world_sandbox, manifest, None, world_sandbox.token)
    assert world_sandbox.stats().requests_total == 1


async def test_refused_token_stops_at_first_read(world_sandbox: Sandbox, tmp_path: Path) -> None:
    """An unknown token: AuthError after one read (and its one refresh), no plan written."""
    manifest = write_manifest(tmp_path / "job.csv", [row for row, _ in EVERY_KIND])
    out = tmp_path / "plan.json"
    with pytest.raises(AuthError, match="refused"):
        await plan(world_sandbox, manifest, out, "not-a-known-token")
    assert world_sandbox.stats().requests_total == 2
    assert not out.exists()
    assert not any(path.name.startswith(".plan.json") for path in tmp_path.iterdir())  # noqa: ASYNC240


async def test_selection_from_real_plan(world_sandbox: Sandbox, tmp_path: Path) -> None:
    """`run --plan` selects exactly the will-apply rows, matching index and key."""
    manifest = write_manifest(tmp_path / "job.csv", [row for row, _ in EVERY_KIND])
    out = tmp_path / "plan.json"
    await plan(world_sandbox, manifest, out, world_sandbox.token)
    selection = load_plan_selection(
        out, validate_manifest(manifest).sha256, world_sandbox.base_url, "v1.0"
    )
    rows = load_plan(out).rows
    wanted = [n for n, (_, want) in enumerate(EVERY_KIND) if want is Classification.WILL_APPLY]
    assert [r.index for r in rows if selection.includes(r.index, r.key)] == wanted
    assert len(selection) == len(wanted)
    assert not selection.includes(0, rows[1].key)


async def test_remove_session_beyond_the_tokens_reach(
    sandbox_factory: SandboxFactory, tmp_path: Path
) -> None:
    """With the published tables the organizer may not list a registration's sessions: plan
    reads the registration and the session instead, classifying `unknown` or `not-found`,
    never `forbidden`, and `run --plan` selects the `unknown` rows."""
    sandbox = await sandbox_factory(world=PLAN_WORLD)
    manifest = write_manifest(tmp_path / "job.csv", [row for row, _ in EVERY_KIND])
    out = tmp_path / "plan.json"
    tally = await plan(sandbox, manifest, out, sandbox.token)
    rows = load_plan(out).rows
    removals = [r for r in rows if r.op == "remove-session"]
    assert [r.classification for r in removals] == [
        Classification.UNKNOWN,
        Classification.UNKNOWN,
        Classification.UNKNOWN,
        Classification.NOT_FOUND,
    ]
    others = [(r.classification, want) for r, (_, want) in zip(rows, EVERY_KIND, strict=True)]
    assert all(
        got == want for (got, want), r in zip(others, rows, strict=True) if r.op != "remove-session"
    )
    stats = sandbox.stats()
    assert set(stats.by_method) == {"GET"}
    assert stats.by_status[403] <= 3  # once refused, the sessions list is not asked again
    selection = load_plan_selection(
        out, validate_manifest(manifest).sha256, sandbox.base_url, "v1.0"
    )
    assert all(selection.includes(r.index, r.key) for r in removals[:3])
    summary = as_text(io.StringIO(), *render_summary(tally, RateLimit.parse("15/30s")))
    assert "3 rows unknown: this token may not list a registration's sessions" in summary
