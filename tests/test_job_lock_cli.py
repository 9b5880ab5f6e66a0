"""Issue 10.3/10.4: the job lock follows the file, not its spelling; a symlinked or loose
audit log is dealt with before anything is sent.

The spelling matrix holds the lock from the test process (a second `JobLock` on the same file
is refused even within one process) and runs the real CLI under every alias; two real runs
racing prove the same with no test-side knowledge of where the lock lives.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from batch.auth.jwt_claims import decode_claims
from batch.exit_codes import ExitCode
from batch.files.identity import identity_of
from batch.jobctl.lock import JobLock
from batch.jobctl.lock_place import audit_log_key, lock_path, manifest_key
from batch.sandbox import Sandbox
from tests.file_helpers import (
    FAST,
    call,
    cli_talking_to,
    mode_of,
    needs_symlinks,
    posix_modes,
    snapshot,
    threaded_sandbox,
    write_job,
)
from tests.process_helpers import (
    REPO,
    finish,
    read_records,
    sandbox_process,
    wait_for_records,
    write_rehearsal,
)

ALIASES = ("dot", "dotdot", "hardlink", pytest.param("symlinked-dir", marks=needs_symlinks))


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    """One sandbox for the module; each test counts the requests its own calls sent."""
    with threaded_sandbox() as served:
        yield served


@pytest.fixture
def work(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """A work directory the CLI runs in, talking to the sandbox with its token."""
    directory = tmp_path / "work"
    directory.mkdir()
    with cli_talking_to(sandbox, monkeypatch):
        monkeypatch.chdir(directory)
        yield directory


def _alias(original: Path, spelling: str) -> str:
    """Another spelling of `original` (in the current directory) that is the same file."""
    if spelling == "dot":
        return f"./{original.name}"
    if spelling == "dotdot":
        Path("sub").mkdir(exist_ok=True)
        return f"sub/../{original.name}"
    if spelling == "hardlink":
        alias = Path(f"alias{original.suffix}")
        os.link(original, alias)
        return str(alias)
    Path("dirlink").symlink_to(original.parent, target_is_directory=True)
    return f"dirlink/{original.name}"


def _run(manifest: str, *extra: str) -> list[str]:
    return ["run", manifest, "--yes", "--quiet", *FAST, *extra]


@pytest.mark.parametrize("spelling", ALIASES)
def test_lock_is_keyed_on_the_audit_logs_identity(
    spelling: str, work: Path, sandbox: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    """Whatever the spelling of a held job's audit log, another run exits 4 and sends nothing."""
    job = write_job(work / "job.yaml")
    log = work / "job.jsonl"
    log.write_text('{"event":"run.started"}\n')
    identity = identity_of(log)
    assert identity is not None
    requests = sandbox.stats().requests_total
    held = lock_path(work.parent / "state", audit_log_key(identity))
    with JobLock(held, command="the first run"):
        result = call(_run(str(job), "--audit-log", _alias(log, spelling)), capsys)
    assert result.code == ExitCode.LOCKED, result.err
    assert f"pid {os.getpid()}" in result.err
    assert log.read_text() == '{"event":"run.started"}\n'
    assert sandbox.stats().requests_total == requests


@pytest.mark.parametrize("spelling", ["plain", *ALIASES])
def test_without_an_audit_log_the_manifest_and_target_are_locked(
    spelling: str, work: Path, sandbox: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    """No --audit-log: a run of a held manifest against the same target exits 4, unsent."""
    job = write_job(work / "job.yaml")
    identity = identity_of(job)
    assert identity is not None
    tenant = (decode_claims(sandbox.token) or {}).get("tid")
    key = manifest_key(identity, sandbox.base_url, tenant)
    requests = sandbox.stats().requests_total
    manifest = str(job) if spelling == "plain" else _alias(job, spelling)
    with JobLock(lock_path(work.parent / "state", key)):
        result = call(_run(manifest), capsys)
    assert result.code == ExitCode.LOCKED, result.err
    assert not list(work.glob("graph-batch-audit-*"))
    assert sandbox.stats().requests_total == requests


def test_the_same_manifest_against_another_target_is_not_locked(
    work: Path, sandbox: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    """The default lock is per target: holding it for another base URL does not stop a run."""
    job = write_job(work / "job.yaml")
    identity = identity_of(job)
    assert identity is not None
    tenant = (decode_claims(sandbox.token) or {}).get("tid")
    other = manifest_key(identity, "https://graph.microsoft.us", tenant)
    with JobLock(lock_path(work.parent / "state", other)):
        assert call(_run(str(job)), capsys).code == ExitCode.OK


def _started_logs(directory: Path) -> list[Path]:
    return [p for p in directory.glob("graph-batch-audit-*") if p.stat().st_size]


async def _start(cwd: Path, *args: str, token: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        *("-m", "batch", *args),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        cwd=cwd,
        env={**os.environ, "GRAPH_ACCESS_TOKEN": token, "PYTHONPATH": str(REPO)},
    )


@pytest.mark.slow
@pytest.mark.parametrize("named_log", [True, False], ids=["hard-linked-log", "no-log"])
async def test_two_real_runs_of_one_job_never_overlap(tmp_path: Path, named_log: bool) -> None:
    """Two processes, one job (a hard-linked audit log, or one manifest and no log): exit 4."""
    job = write_rehearsal(tmp_path, 36, seed=5)
    log, alias = tmp_path / "job.jsonl", tmp_path / "alias.jsonl"
    async with sandbox_process(job.world, "--write-limit", "12/1s") as sandbox:
        common = [
            *("run", str(job.job), "--yes", "--quiet", "--base-url", sandbox.url),
            *("--write-limit", "12/1s"),
        ]
        first_args = [*common, "--audit-log", str(log)] if named_log else common
        first = await _start(tmp_path, *first_args, token=sandbox.token)
        if named_log:
            await wait_for_records(log, lambda records: len(records) >= 2, process=first)
            os.link(log, alias)
        else:
            logs: list[Path] = []
            async with asyncio.timeout(20):
                while not logs:
                    await asyncio.sleep(0.02)
                    logs = _started_logs(tmp_path)
        second_args = [*common, "--audit-log", str(alias)] if named_log else common
        second = await finish(await _start(tmp_path, *second_args, token=sandbox.token))
        assert first.returncode is None, "the first run ended before the second was refused"
        assert second.code == ExitCode.LOCKED, second.err
        assert f"pid {first.pid}" in second.err
        assert (await finish(first)).code == ExitCode.OK
        stats = await sandbox.stats()
    records = read_records(log) if named_log else read_records(logs[0])
    assert stats.requests_total == sum(1 for r in records if r["event"] == "op.attempt")


@needs_symlinks
@pytest.mark.parametrize("target", ["notes", "dangling", "own-log"])
def test_a_symlinked_audit_log_is_refused(
    target: str, work: Path, sandbox: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    """--audit-log naming a symlink (to notes, to nothing, to a log): exit 2, nothing touched."""
    job = write_job(work / "job.yaml")
    pointed = {"notes": "notes.txt", "dangling": "missing.jsonl", "own-log": "real.jsonl"}[target]
    if target != "dangling":
        (work / pointed).write_text("my notes\n")
        (work / pointed).chmod(0o644)
    Path("link.jsonl").symlink_to(pointed)
    before = snapshot(work)
    requests = sandbox.stats().requests_total
    result = call(_run(str(job), "--audit-log", "link.jsonl"), capsys)
    assert result.code == ExitCode.INVALID
    assert "symbolic link" in result.err
    assert result.err.count("\n") == 1
    assert snapshot(work) == before
    if target != "dangling":
        assert mode_of(work / pointed) == 0o644
    assert sandbox.stats().requests_total == requests


@needs_symlinks
@pytest.mark.parametrize("which", ["lock", "holder"])
def test_a_symlinked_lock_file_is_refused(
    which: str, work: Path, sandbox: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    """A planted symlink as --lock-file or its holder file: exit 2, its target untouched."""
    job = write_job(work / "job.yaml")
    Path("victim.txt").write_text("keep me\n")
    name = "job.lock" if which == "lock" else "job.lock.holder"
    Path(name).symlink_to("victim.txt")
    requests = sandbox.stats().requests_total
    result = call(_run(str(job), "--lock-file", "job.lock", "--audit-log", "a.jsonl"), capsys)
    assert result.code == ExitCode.INVALID, result.err
    assert "symbolic link" in result.err
    assert Path("victim.txt").read_text() == "keep me\n"
    assert sandbox.stats().requests_total == requests


@posix_modes
@pytest.mark.parametrize("loose", [0o644, 0o640, 0o604, 0o666, 0o660, 0o700])
def test_a_loose_audit_log_is_tightened_and_said(
    loose: int, work: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An audit log others may read or write is tightened to 0600, and the run says so."""
    job = write_job(work / "job.yaml")
    log = work / "a.jsonl"
    log.write_text("")
    log.chmod(loose)
    result = call(_run(str(job), "--audit-log", str(log)), capsys)
    assert result.code == ExitCode.OK, result.err
    if loose & 0o077:
        assert mode_of(log) == 0o600
        assert f"(mode {loose:04o}); tightened it to 0600" in result.err
    else:
        assert mode_of(log) == loose  # already private: left as it is
        assert "tightened" not in result.err


NO_HOME = """
import sys
sys.modules["pwd"] = None  # as on Windows: no user database to find a home in
from batch.cli import main
raise SystemExit(main(sys.argv[1:]))
"""


@posix_modes  # elsewhere Path.home() finds a profile without the user database
def test_no_home_for_the_default_lock_is_one_line(work: Path, sandbox: Sandbox) -> None:
    """No HOME, no user database, no state dir set: exit 2 naming GRAPH_BATCH_STATE_DIR."""
    job = write_job(work / "job.yaml")
    drop = {"HOME", "GRAPH_BATCH_STATE_DIR", "XDG_STATE_HOME"}
    env = {name: value for name, value in os.environ.items() if name not in drop}
    requests = sandbox.stats().requests_total
    done = subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, "-c", NO_HOME, *_run(str(job), "--audit-log", "a.jsonl")],
        capture_output=True,
        text=True,
        cwd=work,
        env={**env, "PYTHONPATH": str(REPO)},
        check=False,
        timeout=60,
    )
    assert done.returncode == ExitCode.INVALID, done.stderr
    assert done.stderr.count("\n") == 1
    assert "GRAPH_BATCH_STATE_DIR" in done.stderr
    assert sandbox.stats().requests_total == requests


def _manifest_lock(job: Path, sandbox: Sandbox, shard: str | None = None) -> Path:
    """Where the lock on `job` against the sandbox (and `shard`) lives."""
    identity = identity_of(job)
    assert identity is not None
    tenant = (decode_claims(sandbox.token) or {}).get("tid")
    state = job.parent.parent / "state"
    return lock_path(state, manifest_key(identity, sandbox.base_url, tenant, shard))


@pytest.mark.parametrize("lock_file", [None, "my.lock", "b.lock"])
def test_lock_file_never_replaces_the_audit_logs_lock(
    lock_file: str | None, work: Path, sandbox: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    """A held audit log stops a run whatever --lock-file it names: exit 4, nothing sent."""
    job = write_job(work / "job.yaml")
    log = work / "lk.jsonl"
    log.write_text('{"event":"run.started"}\n')
    identity = identity_of(log)
    assert identity is not None
    requests = sandbox.stats().requests_total
    extra = ("--lock-file", lock_file) if lock_file else ()
    with JobLock(lock_path(work.parent / "state", audit_log_key(identity)), command="run A"):
        result = call(_run(str(job), "--audit-log", "lk.jsonl", *extra), capsys)
    assert result.code == ExitCode.LOCKED, result.err
    assert log.read_text() == '{"event":"run.started"}\n'
    assert sandbox.stats().requests_total == requests


@pytest.mark.parametrize(
    "extra", [("--audit-log", "job.jsonl"), ("--lock-file", "my.lock"), ()], ids=str
)
def test_every_run_holds_the_manifest_and_target_lock(
    extra: tuple[str, ...], work: Path, sandbox: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    """A run with or without --audit-log/--lock-file conflicts with any run of that job: exit 4."""
    job = write_job(work / "job.yaml")
    requests = sandbox.stats().requests_total
    with JobLock(_manifest_lock(job, sandbox), command="a run with no audit log"):
        result = call(_run(str(job), *extra), capsys)
    assert result.code == ExitCode.LOCKED, result.err
    assert not Path("job.jsonl").exists() or not Path("job.jsonl").stat().st_size
    assert sandbox.stats().requests_total == requests


def test_shards_of_one_manifest_hold_their_own_locks(
    work: Path, sandbox: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    """Shard 1/2 held: shard 2/2 still runs (parallel shards), another shard 1/2 exits 4."""
    job = write_job(work / "job.yaml")
    with JobLock(_manifest_lock(job, sandbox, "1/2")):
        assert call(_run(str(job), "--shard", "2/2"), capsys).code == ExitCode.OK
        assert call(_run(str(job), "--shard", "1/2"), capsys).code == ExitCode.LOCKED
