"""Quick commands load only what they use: `--help`, `--version` and `validate` never import
pydantic, the HTTP, sign-in, logging or terminal-UI libraries, nor YAML for a CSV or
email-validator for rows without an email (their import is what made start-up slow; `make bench`
prints the times). Each command runs as a user starts it, `python -m batch ...`, and the modules
it loaded are read from `-X importtime`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = (
    "pydantic",
    "pydantic_core",
    "aiohttp",
    "azure",
    "msal",
    "structlog",
    "rich",
    "tenacity",
    "asyncio",
    "argcomplete",
)
"""Top-level packages no quick command may import."""

EVENT = "5d8a0b2e-7c1f-4f8e-9a43-1b2c3d4e5f60@72f988bf-86f1-41af-91ab-2d7cd011db47"
CSV_ROWS = [f"cancel,webinar,{EVENT[:-2]}{n:02d}," for n in range(9)]
CSV_NO_EMAIL = "op,event_type,event_id,registration_id\n" + "\n".join(
    [*CSV_ROWS, f"cancel-registration,townhall,{EVENT},r-1"]
)
CSV_EMAIL = "op,event_type,event_id,registration_email\n" + "\n".join(
    [*CSV_ROWS, f"cancel-registration,townhall,{EVENT},adele.vance@contoso.com"]
)
YAML_SETTINGS_EMAIL = f"""version: 1
defaults:
  event_type: webinar
settings:
  concurrency: 4
  write_limit: 15/30s
  max_destructive: 10
  deadline: 600
operations:
  - op: get-session
    event_id: "{EVENT}"
    session_id: "s1"
  - op: remove-session
    event_id: "{EVENT}"
    registration_email: "adele.vance@contoso.com"
    session_id: "s1"
    x-ticket: "CHG-10231"
  - op: cancel
    event_type: townhall
    event_id: "{EVENT}"
"""


def _imported(tmp_path: Path, *argv: str) -> set[str]:
    """Top-level packages `python -m batch ARGV` imported; the command must exit 0."""
    done = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-X", "importtime", "-m", "batch", *argv],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr[-2000:]
    names = {
        line.rsplit("|", 1)[1].strip().split(".")[0]
        for line in done.stderr.splitlines()
        if line.startswith("import time:")
    }
    assert "batch" in names, "no module list: did -X importtime run?"
    return names


def _write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


@pytest.mark.parametrize(
    "argv",
    [
        ["--help"],
        ["--version"],
        ["validate", "--help"],
        ["run", "--help"],
        ["plan", "--help"],
        ["list", "events", "--help"],
        ["sandbox", "--help"],
    ],
)
def test_help_and_version_import_no_heavy_library(tmp_path: Path, argv: list[str]) -> None:
    """Help and version load no network, sign-in, logging, UI, pydantic, YAML, email or
    completion library."""
    imported = _imported(tmp_path, *argv)
    assert not imported & {*HEAVY, "yaml", "email_validator"}


def test_validate_csv_loads_neither_yaml_nor_email_validator(tmp_path: Path) -> None:
    """A CSV without emails is checked with the standard library and graph-batch alone."""
    imported = _imported(tmp_path, "validate", _write(tmp_path, "job.csv", CSV_NO_EMAIL))
    assert not imported & {*HEAVY, "yaml", "email_validator"}


def test_validate_csv_with_an_email_loads_email_validator_only(tmp_path: Path) -> None:
    """An email row loads email-validator (so the listing above really sees imports), and still
    no pydantic, YAML or HTTP library."""
    imported = _imported(tmp_path, "validate", _write(tmp_path, "job.csv", CSV_EMAIL))
    assert "email_validator" in imported
    assert not imported & {*HEAVY, "yaml"}


def test_validate_yaml_with_settings_and_email_loads_no_pydantic(tmp_path: Path) -> None:
    """A YAML manifest with a `settings:` block and an email needs PyYAML and email-validator
    only: its settings are checked without pydantic."""
    job = _write(tmp_path, "job.yaml", YAML_SETTINGS_EMAIL)
    imported = _imported(tmp_path, "validate", "--format", "json", job)
    assert {"yaml", "email_validator"} <= imported
    assert not imported & set(HEAVY)
