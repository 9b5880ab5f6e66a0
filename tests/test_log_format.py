"""`--log-format json|console`: diagnostics on stderr a log collector can parse, still redacted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from batch.errors import UsageError
from batch.run.settings import resolve_settings
from batch.settings import LogFormat, ManifestSettings
from tests.process_helpers import run_cli, sandbox_process, write_rehearsal


@pytest.mark.parametrize(
    ("flag", "env", "manifest", "expected"),
    [
        (None, None, None, "console"),
        (None, None, "json", "json"),
        (None, "json", "console", "json"),
        ("console", "json", "json", "console"),
        ("json", None, None, "json"),
    ],
)
def test_log_format_precedence(
    flag: str | None, env: str | None, manifest: LogFormat | None, expected: str
) -> None:
    """The format comes from flag, then GRAPH_BATCH_LOG_FORMAT, then settings:, then console."""
    environ = {"GRAPH_BATCH_LOG_FORMAT": env} if env else {}
    settings = resolve_settings(
        {"log_format": flag}, environ, ManifestSettings(log_format=manifest)
    )
    assert settings.log_format == expected


def test_bad_log_format_names_its_source() -> None:
    """An unknown format from the environment is refused, naming the variable."""
    with pytest.raises(UsageError, match="GRAPH_BATCH_LOG_FORMAT"):
        resolve_settings({}, {"GRAPH_BATCH_LOG_FORMAT": "xml"})


@pytest.mark.slow
@pytest.mark.parametrize(
    ("args", "env_format", "settings", "json_lines"),
    [
        (["--log-format", "json"], None, None, True),
        ([], "json", None, True),
        ([], None, {"log_format": "json"}, True),
        ([], None, None, False),
    ],
    ids=["flag", "environment", "manifest", "default-console"],
)
async def test_retries_logged_in_the_chosen_format(
    tmp_path: Path,
    args: list[str],
    env_format: str | None,
    settings: dict[str, object] | None,
    json_lines: bool,
) -> None:
    """A real run with injected 503s logs its retries as JSON lines (or console text), no token.

    Stdout stays empty on success with --quiet: what cron mails nobody about.
    """
    job = write_rehearsal(tmp_path, 6, seed=3, settings=settings)
    async with sandbox_process(
        job.world, "--fault", "503-retry-after=0.3", "--fault-retry-after", "0", "--seed", "2"
    ) as sandbox:
        env = {"GRAPH_ACCESS_TOKEN": sandbox.token, "GRAPH_BATCH_LOG_LEVEL": "info"}
        if env_format:
            env["GRAPH_BATCH_LOG_FORMAT"] = env_format
        result = await run_cli(
            "run", str(job.job), "--yes", "--quiet", "--base-url", sandbox.url,
            "--audit-log", str(tmp_path / "audit.jsonl"), "--max-attempts", "20", *args,
            env=env,
        )  # fmt: skip
    assert result.code == 0, result.err
    assert result.out == ""
    lines = result.err.splitlines()
    assert lines, "no retry was logged: the fault injection did not bite"
    assert sandbox.token not in result.err
    if json_lines:
        events = [json.loads(line) for line in lines]
        assert {event["event"] for event in events} == {"retry"}
        assert all(event["level"] == "info" and "timestamp" in event for event in events)
    else:
        assert all(line.lstrip().startswith("20") and "retry" in line for line in lines)
        with pytest.raises(json.JSONDecodeError):
            json.loads(lines[0])
