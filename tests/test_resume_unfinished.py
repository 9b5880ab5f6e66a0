"""Issue 10 follow-up: `--resume` never re-sends a write whose answer came back but whose
`op.finished` did not (kill -9 or a full audit log between `op.attempt` and `op.finished`).

The log such a death leaves is made by running the real CLI, then cutting every `op.finished`
and `run.finished` record out of it; the sandbox's counters judge what was sent.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from batch.exit_codes import ExitCode
from batch.sandbox import Sandbox
from tests.file_helpers import FAST, call, cli_talking_to, posix_modes, threaded_sandbox, write_job
from tests.process_helpers import REPO

WRITES = ("POST", "PATCH", "PUT")
"""Writes that are not idempotent. A DELETE whose target cannot be read back (app-only Graph
cannot list a registration's sessions) is re-sent by design: a 404 then proves it done."""


@pytest.fixture
def sandbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    """A fresh sandbox per test, so its counters are this test's alone."""
    with threaded_sandbox() as served, cli_talking_to(served, monkeypatch):
        yield served


def _writes(sandbox: Sandbox) -> int:
    return sum(sandbox.stats().by_method.get(method, 0) for method in WRITES)


def _cut(log: Path, events: set[str]) -> None:
    """Drop the records of `events`, as a death right before each was written leaves the log."""
    lines = log.read_text().splitlines(keepends=True)
    log.write_text("".join(line for line in lines if json.loads(line)["event"] not in events))


@pytest.mark.parametrize(
    "lost",
    [{"op.finished", "run.finished"}, {"op.attempt", "op.finished", "run.finished"}],
    ids=["answered-2xx", "answer-unrecorded"],
)
def test_resume_reads_back_writes_with_no_finished_record(
    lost: set[str], sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every write sent but never finished is read back on --resume: no POST is sent twice."""
    job = write_job(tmp_path / "job.yaml")
    log = tmp_path / "job.jsonl"
    args = ["run", str(job), "--yes", "--quiet", *FAST, "--audit-log", str(log)]
    assert call(args, capsys).code == ExitCode.OK
    sent = _writes(sandbox)
    assert sent > 0
    _cut(log, lost)
    result = call([*args, "--resume"], capsys)
    assert result.code == ExitCode.OK, result.err
    assert _writes(sandbox) == sent
    assert set(sandbox.stats().applied.values()) == {1}


def _offsets_of_post_finishes(log: Path) -> list[int]:
    """Byte offsets where each POST row's `op.finished` line starts, and its middle."""
    offset, posts, found = 0, set(), []
    for line in log.read_bytes().splitlines(keepends=True):
        record = json.loads(line)
        if record["event"] == "op.sending" and record["method"] == "POST":
            posts.add(record["row"])
        if record["event"] == "op.finished" and record["row"] in posts:
            found += [offset, offset + len(line) // 2]
        offset += len(line)
    return found


def _run_limited(args: list[str], limit: int | None) -> int:
    """The real CLI in a child whose files may not grow past `limit` bytes (RLIMIT_FSIZE)."""
    import resource  # noqa: PLC0415 - POSIX only, like the test

    def cap() -> None:
        if limit is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    done = subprocess.run(  # noqa: S603 - our interpreter; RLIMIT_FSIZE needs preexec_fn
        [sys.executable, "-m", "batch", *args],
        capture_output=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        preexec_fn=cap,
        check=False,
        timeout=120,
    )
    return done.returncode


@posix_modes
def test_a_log_that_hit_its_size_limit_after_a_2xx_is_resumed_without_a_second_post(
    sandbox: Sandbox,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """RLIMIT_FSIZE stops the log at a POST's op.finished; --resume applies each change once."""
    job = write_job(tmp_path / "job.yaml")
    reference = tmp_path / "reference.jsonl"
    common = ["run", str(job), "--yes", "--quiet", *FAST]
    assert call([*common, "--audit-log", str(reference)], capsys).code == ExitCode.OK
    posts_once = sandbox.stats().by_method["POST"]
    for number, limit in enumerate(_offsets_of_post_finishes(reference)[:2]):
        with threaded_sandbox() as fresh:
            log = tmp_path / f"limited-{number}.jsonl"
            args = [*common, "--audit-log", str(log), "--base-url", fresh.base_url]
            monkeypatch.setenv("GRAPH_ACCESS_TOKEN", fresh.token)
            assert _run_limited(args, limit) != ExitCode.OK
            assert _run_limited([*args, "--resume"], None) == ExitCode.OK
            assert set(fresh.stats().applied.values()) == {1}
            assert fresh.stats().by_method.get("POST", 0) == posts_once
