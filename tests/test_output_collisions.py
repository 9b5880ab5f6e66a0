"""Issue 10.1: an output that is one of the command's own files is refused, by file identity.

Every pair of (written, read-or-written) files of `run`, `plan` and `report` is tried with
every way of spelling one file twice: the same string, `./x`, `sub/../x`, a symlink, a hard
link and a path through a symlinked directory, aliasing either side. Each must exit 2 with one
line, leave every file byte for byte as it was, create nothing, and send no request.

Likewise every output written by temp-file-and-rename refuses a target that exists and is not a
regular file: a symlink (to a file, to a descriptor, dangling), a FIFO, a folder, a socket and,
as root, a character device (`plan --out`, `report --out`, `list --out --force`, `run
--failures-csv`, `sandbox --generate --out`).
"""

from __future__ import annotations

import os
import socket
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from batch.exit_codes import ExitCode
from batch.sandbox import Sandbox
from tests.file_helpers import (
    FAST,
    call,
    cli_talking_to,
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
    (tmp_path / "work").mkdir()
    with cli_talking_to(sandbox, monkeypatch):
        monkeypatch.chdir(tmp_path / "work")
        yield


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


needs_posix = pytest.mark.skipif(os.name != "posix", reason="FIFOs and sockets need POSIX")


def _symlink_to_file(path: Path) -> None:
    (path.parent / "victim.txt").write_text("notes\n")
    path.symlink_to("victim.txt")


def _symlink_to_stdout(path: Path) -> None:
    path.symlink_to("/proc/self/fd/1")


def _dangling_symlink(path: Path) -> None:
    path.symlink_to("nowhere.txt")


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _folder(path: Path) -> None:
    path.mkdir()


def _socket(path: Path) -> None:
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))  # relative: tmp_path can exceed the 108-byte sun_path limit
    server.close()


def _char_device(path: Path) -> None:
    os.mknod(path, 0o600 | stat.S_IFCHR, os.makedev(1, 3))  # a /dev/null twin, in tmp_path


KINDS = [
    pytest.param(_symlink_to_file, id="symlink", marks=needs_symlinks),
    pytest.param(_symlink_to_stdout, id="symlink-to-fd", marks=needs_symlinks),
    pytest.param(_dangling_symlink, id="dangling-symlink", marks=needs_symlinks),
    pytest.param(_fifo, id="fifo", marks=needs_posix),
    pytest.param(_folder, id="folder"),
    pytest.param(_socket, id="socket", marks=needs_posix),
    pytest.param(
        _char_device,
        id="char-device",
        marks=pytest.mark.skipif(
            not hasattr(os, "geteuid") or os.geteuid() != 0, reason="mknod needs root"
        ),
    ),
]


def _entries(directory: Path) -> dict[str, tuple[int, str]]:
    """Each entry's file type and (symlink target | regular file text); never opens a FIFO."""
    found: dict[str, tuple[int, str]] = {}
    for path in sorted(directory.rglob("*")):
        info = os.lstat(path)
        if stat.S_ISLNK(info.st_mode):
            content = os.readlink(path)
        elif stat.S_ISREG(info.st_mode):
            content = path.read_text()
        else:
            content = ""
        found[str(path.relative_to(directory))] = (stat.S_IFMT(info.st_mode), content)
    return found


def _plan(target: str) -> list[str]:
    return ["plan", str(write_job(Path("job.yaml"))), "--out", target]


def _report(target: str) -> list[str]:
    Path("audit.jsonl").write_text('{"event":"run.started","note":"an earlier run"}\n')
    return ["report", "audit.jsonl", "--out", target]


def _list(target: str) -> list[str]:
    return ["list", "events", "--op", "cancel", "--out", target, "--force"]


def _run(target: str) -> list[str]:
    job = str(write_job(Path("job.yaml")))
    return ["run", job, "--failures-csv", target, "--yes", "--quiet", *FAST]


def _generate(target: str) -> list[str]:
    return ["sandbox", "--generate", "3", "--out", str(Path(target).parent)]


COMMANDS = [
    pytest.param(_plan, "plan.json", id="plan"),
    pytest.param(_report, "report.txt", id="report"),
    pytest.param(_list, "listed.csv", id="list"),
    pytest.param(_run, "failures.csv", id="run"),
    pytest.param(_generate, "gen/manifest.csv", id="sandbox-generate"),
]


@pytest.mark.parametrize("make", KINDS)
@pytest.mark.parametrize(("command", "name"), COMMANDS)
def test_an_output_that_is_not_a_regular_file_is_refused(
    command: Callable[[str], list[str]],
    name: str,
    make: Callable[[Path], None],
    sandbox: Sandbox,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Exit 2, one line naming the path, the odd file kept as it was, nothing written or sent."""
    target = Path(name)
    target.parent.mkdir(exist_ok=True)
    make(target)
    args = command(name)
    before = _entries(Path.cwd())
    requests = sandbox.stats().requests_total
    result = call(args, capsys)
    assert result.code == ExitCode.INVALID, result.err
    assert result.err.count("\n") == 1, result.err
    assert name in result.err
    assert "Traceback" not in result.err
    assert _entries(Path.cwd()) == before
    assert sandbox.stats().requests_total == requests


def test_a_regular_file_is_still_replaced(capsys: pytest.CaptureFixture[str]) -> None:
    """The check refuses only odd files: an existing plan.json is replaced by the new plan."""
    Path("plan.json").write_text("old\n")
    result = call(_plan("plan.json"), capsys)
    assert result.code in {ExitCode.OK, ExitCode.FAILED}, result.err
    assert Path("plan.json").read_text().startswith("{")
