"""Quick commands load only what they use: `--help`, `--version` and `validate`
never import the HTTP, sign-in, logging or terminal-UI libraries (their import is what made
start-up take half a second; `make bench` prints the times)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from batch.rehearsal import write_yaml_job
from batch.sandbox import generate_world

NETWORK_AND_UI = ("aiohttp", "azure", "msal", "structlog", "rich", "tenacity", "asyncio")
"""Top-level packages a quick command must not import."""

CHILD = """
import json, sys
from batch.cli import main
try:
    main(sys.argv[2:])
except SystemExit:
    pass
with open(sys.argv[1], "w", encoding="utf-8") as out:
    json.dump(sorted({name.split(".")[0] for name in sys.modules}), out)
"""


def _imported(tmp_path: Path, *argv: str) -> set[str]:
    listing = tmp_path / "modules.json"
    subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", CHILD, str(listing), *argv],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return set(json.loads(listing.read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def manifests(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """A CSV and a YAML manifest of 10 rows each, emails included."""
    directory = tmp_path_factory.mktemp("manifests")
    _, rows = generate_world(10, seed=1)
    yaml_job = write_yaml_job(rows, directory / "job.yaml")
    csv_job = directory / "job.csv"
    columns = sorted({name for row in rows for name in row})
    lines = [",".join(columns), *(",".join(row.get(c, "") for c in columns) for row in rows)]
    csv_job.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return [str(csv_job), str(yaml_job)]


@pytest.mark.parametrize(
    "argv",
    [
        ["--help"],
        ["--version"],
        ["run", "--help"],
        ["plan", "--help"],
        ["sandbox", "--help"],
    ],
)
def test_help_and_version_import_no_heavy_library(tmp_path: Path, argv: list[str]) -> None:
    """Help and version load no network, sign-in, logging, UI, pydantic or completion library."""
    imported = _imported(tmp_path, *argv)
    assert "batch" in imported
    assert imported.isdisjoint({*NETWORK_AND_UI, "pydantic", "yaml", "argcomplete"}), imported


def test_validate_imports_no_network_library(tmp_path: Path, manifests: list[str]) -> None:
    """`validate` loads the manifest parsers only: no HTTP, sign-in, logging or UI library."""
    imported = _imported(tmp_path, "validate", *manifests)
    assert {"batch", "pydantic"} <= imported
    assert imported.isdisjoint(NETWORK_AND_UI), imported & set(NETWORK_AND_UI)
