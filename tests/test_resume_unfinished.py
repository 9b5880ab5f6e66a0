"""Issue 10 follow-up: `--resume` never re-sends a write whose answer came back but whose
`op.finished` did not (kill -9 or a full audit log between `op.attempt` and `op.finished`).

The log such a death leaves is made by running the real CLI, then cutting every `op.finished`
and `run.finished` record out of it; the sandbox's counters judge what was sent.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog

from batch.exit_codes import ExitCode
from batch.sandbox import Sandbox
from tests.file_helpers import FAST, call, threaded_sandbox, write_job

WRITES = ("POST", "PATCH", "PUT")
"""Writes that are not idempotent. A DELETE whose target cannot be read back (app-only Graph
cannot list a registration's sessions) is re-sent by design: a 404 then proves it done."""


@pytest.fixture
def sandbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    """A fresh sandbox per test, so its counters are this test's alone."""
    with threaded_sandbox() as served:
        monkeypatch.setenv("GRAPH_ACCESS_TOKEN", served.token)
        monkeypatch.setenv("GRAPH_BATCH_BASE_URL", served.base_url)
        yield served
    structlog.reset_defaults()


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
