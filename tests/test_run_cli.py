"""`graph-batch run` through the real command line: exit codes before anything is sent."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog

from batch.cli import main
from batch.rehearsal import write_yaml_job
from batch.sandbox import generate_world

_, ROWS = generate_world(6, seed=1)


@pytest.fixture(autouse=True)
def _restore_structlog() -> Iterator[None]:
    """The CLI configures structlog globally; undo it for the tests that follow."""
    yield
    structlog.reset_defaults()


@pytest.fixture
def job(tmp_path: Path) -> Path:
    """A small valid YAML job."""
    return write_yaml_job(ROWS, tmp_path / "job.yaml")


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--yes", "--auth", "token"], 3, "GRAPH_ACCESS_TOKEN"),
        (["--yes", "--base-url", "http://graph.example.com"], 2, "refusing plain http"),
        (["--yes", "--concurrency", "0"], 2, "--concurrency"),
        (["--yes", "--deadline", "tomorrow"], 2, "--deadline"),
        (["--yes", "--resume"], 2, "--resume needs --audit-log"),
        (["--auth", "token"], 2, "pass --yes"),
    ],
)
def test_refusals_before_sending(  # noqa: PLR0917 - table columns plus fixtures
    job: Path,
    args: list[str],
    code: int,
    message: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Bad settings, no confirmation or no token: one line on stderr, the documented code."""
    monkeypatch.delenv("GRAPH_ACCESS_TOKEN", raising=False)
    monkeypatch.chdir(job.parent)
    assert main(["run", str(job), "--base-url", "http://127.0.0.1:9", *args]) == code
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err
    assert not list(job.parent.glob("graph-batch-audit-*"))


def test_dry_run_needs_no_token(
    job: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """--dry-run works with no token at all and lists requests with the API version."""
    monkeypatch.delenv("GRAPH_ACCESS_TOKEN", raising=False)
    assert main(["run", str(job), "--dry-run", "--api-version", "beta"]) == 0
    assert "/beta/solutions/virtualEvents/" in capsys.readouterr().out
