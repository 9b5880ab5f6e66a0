"""Issue 10.1: an output that is one of the command's own files is refused, by file identity.

Every pair of (written, read-or-written) files of `run`, `plan` and `report` is tried with
every way of spelling one file twice: the same string, `./x`, `sub/../x`, a symlink, a hard
link and a path through a symlinked directory, aliasing either side. Each must exit 2 with one
line, leave every file byte for byte as it was, create nothing, and send no request.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog

from batch.exit_codes import ExitCode
from batch.sandbox import Sandbox
from tests.file_helpers import (
    FAST,
    call,
    needs_symlinks,
    snapshot,
    threaded_sandbox,
    write_job,
)

SPELLINGS = (
    "same",
    "dot",
    "dotdot",
    pytest.param("symlink", marks=needs_symlinks),
    "hardlink",
    pytest.param("symlinked-dir", marks=needs_symlinks),
)

RUN_PAIRS = [
    ("--audit-log", "MANIFEST"),
    ("--failures-csv", "MANIFEST"),
    ("--lock-file", "MANIFEST"),
    ("--failures-csv", "--audit-log"),
    ("--lock-file", "--audit-log"),
    ("--failures-csv", "--lock-file"),
    ("--audit-log", "--plan"),
    ("--failures-csv", "--plan"),
    ("--lock-file", "--plan"),
    ("--audit-log", "--token-file"),
    ("--failures-csv", "--token-file"),
]
PLAN_PAIRS = [("--out", "MANIFEST"), ("--out", "--token-file")]
REPORT_PAIRS = [("--out", "AUDIT.jsonl")]


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    """One sandbox for the module; each test checks that its own calls sent nothing."""
    with threaded_sandbox() as served:
        yield served


@pytest.fixture(autouse=True)
def _cli_env(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """The CLI talks to the sandbox with its token, from a work directory of its own."""
    monkeypatch.setenv("GRAPH_ACCESS_TOKEN", sandbox.token)
    monkeypatch.setenv("GRAPH_BATCH_BASE_URL", sandbox.base_url)
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")
    yield
    structlog.reset_defaults()


def _original(role: str, work: Path, token: str) -> Path:
    """Create the file `role` names plainly, as a user would have it before the command."""
    names = {
        "MANIFEST": "job.yaml",
        "AUDIT.jsonl": "audit.jsonl",
        "--audit-log": "audit.jsonl",
        "--plan": "plan.json",
        "--token-file": "token.txt",
        "--lock-file": "job.lock",
    }
    path = work / names[role]
    if role == "MANIFEST":
        write_job(path)
    elif role in {"--audit-log", "AUDIT.jsonl"}:
        path.write_text('{"event":"run.started","note":"an earlier run"}\n')
    elif role == "--token-file":
        path.write_text(token)
    else:
        path.write_text("{}\n" if role == "--plan" else "")
    return path


def _alias(original: Path, spelling: str) -> str:
    """Another name for `original` (which lives in the current directory)."""
    work = original.parent
    if spelling == "same":
        return str(original)
    if spelling == "dot":
        return f"./{original.name}"
    if spelling == "dotdot":
        (work / "sub").mkdir(exist_ok=True)
        return f"sub/../{original.name}"
    alias = f"alias{original.suffix}"  # a manifest's type is in its extension
    if spelling == "symlink":
        (work / alias).symlink_to(original.name)
        return alias
    if spelling == "hardlink":
        os.link(original, work / alias)
        return alias
    (work / "dirlink").symlink_to(work, target_is_directory=True)
    return f"dirlink/{original.name}"


POSITIONAL = {"run": "MANIFEST", "plan": "MANIFEST", "report": "AUDIT.jsonl"}


def _args(command: str, paths: dict[str, str]) -> list[str]:
    args = [command, paths.pop(POSITIONAL[command])]
    for flag, path in paths.items():
        args += [flag, path]
    if command == "run":
        args += ["--yes", "--quiet", *FAST]
    return args


def _refused_untouched(
    command: str,
    pair: tuple[str, str],
    *,
    aliased: str,
    spelling: str,
    sandbox: Sandbox,
    capsys: pytest.CaptureFixture[str],
) -> None:
    work = Path.cwd()
    written, other = pair
    original = _original(other, work, sandbox.token)
    paths = {other: str(original), written: str(original)}
    paths[written if aliased == "written" else other] = _alias(original, spelling)
    if POSITIONAL[command] not in paths:
        paths[POSITIONAL[command]] = str(_original(POSITIONAL[command], work, ""))
    before = snapshot(work.parent)
    requests = sandbox.stats().requests_total
    result = call(_args(command, paths), capsys)
    assert result.code == ExitCode.INVALID, result.err
    assert "is the same file as" in result.err
    assert result.err.count("\n") == 1, result.err
    assert "Traceback" not in result.err
    assert snapshot(work.parent) == before
    assert sandbox.stats().requests_total == requests


@pytest.mark.parametrize("spelling", SPELLINGS)
@pytest.mark.parametrize("aliased", ["written", "other"])
@pytest.mark.parametrize("pair", RUN_PAIRS, ids="{0[0]}={0[1]}".format)
def test_run_refuses_outputs_that_collide(
    pair: tuple[str, str],
    aliased: str,
    spelling: str,
    sandbox: Sandbox,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`run`: any output that is another of its files, however spelled, is exit 2, no harm."""
    _refused_untouched(
        "run", pair, aliased=aliased, spelling=spelling, sandbox=sandbox, capsys=capsys
    )


@pytest.mark.parametrize("spelling", SPELLINGS)
@pytest.mark.parametrize("aliased", ["written", "other"])
@pytest.mark.parametrize("pair", PLAN_PAIRS, ids="{0[0]}={0[1]}".format)
def test_plan_refuses_outputs_that_collide(
    pair: tuple[str, str],
    aliased: str,
    spelling: str,
    sandbox: Sandbox,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`plan --out`: the manifest or token file, however spelled, is exit 2, no harm."""
    _refused_untouched(
        "plan", pair, aliased=aliased, spelling=spelling, sandbox=sandbox, capsys=capsys
    )


@pytest.mark.parametrize("spelling", SPELLINGS)
@pytest.mark.parametrize("aliased", ["written", "other"])
def test_report_refuses_output_onto_its_audit_log(
    aliased: str, spelling: str, sandbox: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    """`report --out`: the audit log it reads, however spelled, is exit 2, log untouched."""
    _refused_untouched(
        "report",
        REPORT_PAIRS[0],
        aliased=aliased,
        spelling=spelling,
        sandbox=sandbox,
        capsys=capsys,
    )


def test_the_issue_example_keeps_every_earlier_record(
    sandbox: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--audit-log a.jsonl --failures-csv a.jsonl`: refused, the earlier records all kept."""
    job = write_job(Path("m.yaml"))
    first = call(["run", str(job), "--audit-log", "a.jsonl", "--yes", "--quiet", *FAST], capsys)
    assert first.code == ExitCode.OK, first.err
    records = Path("a.jsonl").read_bytes()
    again = ["run", str(job), "--audit-log", "a.jsonl", "--failures-csv", "a.jsonl", "--yes"]
    result = call(again, capsys)
    assert result.code == ExitCode.INVALID
    assert Path("a.jsonl").read_bytes() == records


def test_distinct_outputs_beside_each_other_are_not_refused(
    sandbox: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    """Look-alike but different files (sub/../other names) run, plan and report as usual."""
    Path("sub").mkdir()
    job = write_job(Path("job.yaml"))
    run = [
        *("run", "sub/../job.yaml", "--audit-log", "./job.yaml.jsonl"),
        *("--failures-csv", "sub/../job.csv", "--lock-file", "sub/job.yaml"),
    ]
    assert call([*run, "--yes", "--quiet", *FAST], capsys).code == ExitCode.OK
    assert call(["plan", str(job), "--out", "sub/../job.json"], capsys).code == ExitCode.OK
    report = ["report", "job.yaml.jsonl", "--out", "sub/../job.yaml.txt"]
    assert call(report, capsys).code == ExitCode.OK
    assert Path("job.json").exists()
    assert Path("job.yaml.txt").exists()
