"""Running `graph-batch run` in-process against the sandbox, and reading what it recorded."""

from __future__ import annotations

import io
import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from batch.auth.base import AccessToken, TokenSource
from batch.errors import GraphBatchError
from batch.http.retry_policy import RetryPolicy
from batch.rehearsal import state_problems, write_yaml_job
from batch.run.console import Console
from batch.run.job import run_job_async
from batch.sandbox import Sandbox
from batch.settings import ManifestSettings

FAST_RETRIES = RetryPolicy(max_attempts=10, base=0.01, cap=0.05, max_retry_after=2.0)
"""Retries without real waiting: what the end-to-end tests run with."""
HUGE = "100000/1s"


@dataclass
class FakeTokenSource:
    """Hands out `tokens` in turn: the first on the first call, the next on each refresh."""

    tokens: list[str]
    calls: list[dict[str, Any]] = field(default_factory=list)

    async def get_token(
        self, *, claims: str | None = None, force_refresh: bool = False
    ) -> AccessToken:
        """The current token; a refresh moves to the next one."""
        self.calls.append({"claims": claims, "force_refresh": force_refresh})
        refreshes = sum(1 for call in self.calls if call["force_refresh"])
        return AccessToken(self.tokens[min(refreshes, len(self.tokens) - 1)])

    async def close(self) -> None:
        """Nothing to release."""


class FakeTerminal(io.StringIO):
    """A text stream that says it is a terminal."""

    def isatty(self) -> bool:
        """Always: this stream stands in for a TTY."""
        return True


@dataclass
class FixedCredentials:
    """Credentials for tests: always the given token source, public cloud."""

    source: TokenSource

    def base_url(self, manifest: ManifestSettings) -> str | None:
        """No national cloud."""
        return None

    def token_source(self, manifest: ManifestSettings, run_ends_at: datetime) -> TokenSource:
        """The given source."""
        return self.source


@dataclass
class RunResult:
    """What a run returned, printed and recorded."""

    code: int
    out: str
    err: str
    audit: list[dict[str, Any]]

    def events(self, name: str) -> list[dict[str, Any]]:
        """The audit records of one event kind, in order."""
        return [record for record in self.audit if record["event"] == name]

    @property
    def outcomes(self) -> Counter[str]:
        """Rows per outcome."""
        return Counter(record["outcome"] for record in self.events("op.finished"))


async def run(
    rows: Sequence[Mapping[str, str]] | Path,
    tmp_path: Path,
    base_url: str,
    token: str | TokenSource,
    *,
    env: Mapping[str, str] | None = None,
    policy: RetryPolicy = FAST_RETRIES,
    audit: Path | None = None,
    terminal_answer: str | None = None,
    **cli: object,
) -> RunResult:
    """Run a job (rows become a YAML job) as the CLI would; GraphBatchError -> its exit code.

    The audit log is a fresh tmp_path/audit.jsonl unless `audit` names one to append to;
    the result holds the records of this run only. With `terminal_answer` stdin and stdout
    pretend to be a terminal and the confirmation prompt reads that answer.
    """
    manifest = rows if isinstance(rows, Path) else write_yaml_job(rows, tmp_path / "job.yaml")
    if audit is None:
        audit = tmp_path / "audit.jsonl"
        audit.unlink(missing_ok=True)
    options: dict[str, object] = {
        "base_url": base_url,
        "audit_log": str(audit),
        "write_limit": HUGE,
        "read_limit": HUGE,
        "yes": True,
        "quiet": True,
    } | cli
    source = FakeTokenSource([token]) if isinstance(token, str) else token
    if terminal_answer is None:
        console = Console(out=io.StringIO(), err=io.StringIO(), inp=io.StringIO())
    else:
        console = Console(
            out=FakeTerminal(), err=io.StringIO(), inp=FakeTerminal(terminal_answer + "\n")
        )
    try:
        code = await run_job_async(
            str(manifest),
            options,
            {"GRAPH_BATCH_STATE_DIR": str(tmp_path / "state"), **(env or {})},
            FixedCredentials(source),
            console=console,
            retry_policy=policy,
        )
    except GraphBatchError as exc:
        print(f"graph-batch: {exc.message}", file=console.err)
        code = int(exc.exit_code)
    text = audit.read_text(encoding="utf-8") if audit.exists() else ""
    records = [json.loads(line) for line in text.splitlines()]
    this_run = [r for r in records if records and r["run_id"] == records[-1]["run_id"]]
    assert isinstance(console.out, io.StringIO)
    assert isinstance(console.err, io.StringIO)
    return RunResult(code, console.out.getvalue(), console.err.getvalue(), this_run)


def assert_consistent(
    result: RunResult, sandbox: Sandbox, rows: Sequence[Mapping[str, str]]
) -> None:
    """Intended final state, nothing applied twice, one op.finished per row."""
    stats = sandbox.stats()
    assert state_problems(sandbox.state(), rows) == []
    assert all(count == 1 for count in stats.applied.values()), stats.applied
    assert stats.mutations_total == len([r for r in rows if r["op"] != "get-session"])
    finished = result.events("op.finished")
    assert sorted(record["row"] for record in finished) == sorted(
        {record["row"] for record in finished}
    )
    assert len(finished) == len(rows)
    assert result.events("run.finished")[-1]["exit_code"] == result.code


def assert_no_token_material(tokens: Iterable[str], *texts: str) -> None:
    """No token, nor a JWT's payload segment (its claims), appears in any of `texts`."""
    for token in tokens:
        pieces = [token, *[part for part in token.split(".")[1:2] if len(part) > 8]]
        for text in texts:
            for piece in pieces:
                assert piece not in text, "token material leaked"
