"""The example manifests under jobs/ that users copy are all valid."""

from __future__ import annotations

from pathlib import Path

import pytest

from batch.manifest import validate_manifest

JOBS = Path(__file__).resolve().parent.parent / "jobs"
EXAMPLES = sorted(
    path
    for pattern in ("*.csv", "*.yaml", "*.yml")
    for path in JOBS.glob(pattern)
    if "world" not in path.name  # sandbox world files live here too but are not manifests.
)


def test_there_are_examples() -> None:
    """The examples exist (so the parametrised test below cannot pass vacuously)."""
    assert len(EXAMPLES) >= 4


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda path: path.name)
def test_example_is_valid(path: Path) -> None:
    """Each example validates with no errors and no warnings."""
    validation = validate_manifest(path)
    assert validation.ok, [str(p) for p in validation.errors]
    assert validation.warning_count == 0
    assert validation.operation_count > 0
