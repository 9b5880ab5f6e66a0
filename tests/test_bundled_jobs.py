"""The example jobs in jobs/ rehearse against the bundled world (README: "copy one from jobs/")."""

from __future__ import annotations

from pathlib import Path

import pytest

from batch.exit_codes import ExitCode
from tests.conftest import SandboxFactory
from tests.run_helpers import run

JOBS = Path(__file__).resolve().parent.parent / "jobs"
MANIFESTS = sorted(
    path for path in JOBS.iterdir() if path.suffix in {".csv", ".yaml"} and "world" not in path.name
)


def test_every_example_job_is_listed() -> None:
    """The table below cannot silently skip a job: there are the four shipped examples."""
    assert [path.name for path in MANIFESTS] == [
        "cancel-townhalls.csv",
        "cancel-webinars.csv",
        "mixed.yaml",
        "remove-sessions.csv",
    ]


@pytest.mark.parametrize("manifest", MANIFESTS, ids=lambda path: path.name)
async def test_example_job_runs_clean_against_the_bundled_world(
    sandbox_factory: SandboxFactory, tmp_path: Path, manifest: Path
) -> None:
    """Each example's ids exist in jobs/sandbox-world.yaml: every row succeeds or is done."""
    sandbox = await sandbox_factory()
    result = await run(manifest, tmp_path, sandbox.base_url, sandbox.token)
    assert result.code == ExitCode.OK, result.err
    assert set(result.outcomes) <= {"succeeded", "already_done"}, result.outcomes
