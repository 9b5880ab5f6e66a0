"""Issue 10.5 (last point): every file graph-batch writes is created 0600 on POSIX.

Run with a umask of 000, so a mode that merely inherits the umask would show as 0666.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from batch.exit_codes import ExitCode
from batch.sandbox import Sandbox
from tests.file_helpers import (
    FAST,
    ROWS,
    call,
    cli_talking_to,
    mode_of,
    posix_modes,
    threaded_sandbox,
    write_job,
)

pytestmark = posix_modes


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    """One sandbox for the module."""
    with threaded_sandbox() as served:
        yield served


@pytest.fixture
def work(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """A work directory, the sandbox's token, and a umask that hides nothing."""
    old = os.umask(0)
    with cli_talking_to(sandbox, monkeypatch):
        monkeypatch.chdir(tmp_path)
        yield tmp_path
    os.umask(old)


def _with_failures(work: Path) -> Path:
    """The job plus one cancel of an event the world lacks, so a failures CSV is written."""
    tenant = ROWS[0]["event_id"].split("@")[1]
    missing = {"op": "cancel", "event_type": "webinar", "event_id": f"00000000-0@{tenant}"}
    from batch.rehearsal import write_yaml_job  # noqa: PLC0415 - only this helper needs it

    return write_yaml_job([*ROWS, missing], work / "job.yaml")


def test_run_writes_every_file_0600(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Audit log, failures CSV, lock and holder files, default audit log: all 0600."""
    job = _with_failures(work)
    args = ["run", str(job), "--yes", "--quiet", *FAST, "--failures-csv", "failed.csv"]
    named = call([*args, "--audit-log", "a.jsonl", "--lock-file", "job.lock"], capsys)
    assert named.code == ExitCode.FAILED, named.err
    default = call(args, capsys)
    assert default.code == ExitCode.FAILED, default.err
    written = [
        Path("a.jsonl"),
        Path("failed.csv"),
        Path("job.lock"),
        Path("job.lock.holder"),
        *Path().glob("graph-batch-audit-*.jsonl"),
        *(work / "state" / "locks").iterdir(),
    ]
    assert len(written) == 9  # state/locks/: the audit log's and the manifest's, each + holder
    assert mode_of(work / "state" / "locks") == 0o700
    assert {str(path): mode_of(path) for path in written} == dict.fromkeys(map(str, written), 0o600)


def test_plan_and_report_outputs_are_0600(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """plan --out, and report -o in each format (replacing a 0644 file too), are 0600."""
    job = write_job(work / "job.yaml")
    assert call(["plan", str(job), "--out", "plan.json"], capsys).code == ExitCode.OK
    assert mode_of(Path("plan.json")) == 0o600
    run = call(["run", str(job), "--yes", "--quiet", *FAST, "--audit-log", "a.jsonl"], capsys)
    assert run.code == ExitCode.OK
    Path("junit.xml").write_text("old")
    Path("junit.xml").chmod(0o644)
    for form, name in [("table", "r.txt"), ("json", "r.json"), ("junit", "junit.xml")]:
        result = call(["report", "a.jsonl", "--format", form, "--out", name], capsys)
        assert result.code == ExitCode.OK, result.err
        assert mode_of(Path(name)) == 0o600, form


def test_sandbox_generate_writes_0600(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`sandbox --generate --out DIR`: the world and manifest files are 0600."""
    assert call(["sandbox", "--generate", "3", "--out", "gen"], capsys).code == ExitCode.OK
    assert mode_of(work / "gen" / "world.yaml") == 0o600
    assert mode_of(work / "gen" / "manifest.csv") == 0o600
