"""`run` with a malformed manifest or a bad flag: exit 2, the problem named, not one request."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from batch.exit_codes import ExitCode
from batch.rehearsal import write_yaml_job
from batch.sandbox import Sandbox, generate_world
from tests.manifest_files import write
from tests.run_helpers import run

_, ROWS = generate_world(4, seed=5)
E = "5c1e8a3f-2b9d-4c7e-b0a6-1f4d8e2c7b95@72f988bf-86f1-41af-91ab-2d7cd011db47"
YAML_HEAD = "version: 1\n"
OPS = f"operations:\n  - op: cancel\n    event_id: '{E}'\n"


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("m.csv", b"op,event_id\n", "m.csv: no operations"),
        ("m.csv", f"op;event_id\ncancel;{E}\n".encode(), "m.csv:1: header: the file looks semi"),
        ("m.csv", f"op,event_id\ncancel,{E}\n".encode("utf-16"), "m.csv:1: the file is UTF-16"),
        ("m.csv", f"op,event_id\ncancel,{E}\n# done\n".encode(), "m.csv:3: a CSV manifest has no"),
        ("m.csv", f'op,event_id\ncancel,{E}\ncancel,"{E}\n'.encode(), "m.csv:3: not valid CSV"),
        ("m.csv", f"op,event_id\ncancel,{E}\nexplode,{E}\n".encode(), "m.csv:3: op: unknown op"),
        (
            "m.yaml",
            (YAML_HEAD + "settings:\n  concurrency: 2\n  concurrency: 99\n" + OPS).encode(),
            "m.yaml:4: settings.concurrency: given twice (lines 3 and 4)",
        ),
        (
            "m.yaml",
            (YAML_HEAD + "operations:\n  - op: cancel\n    event_id: 123\n").encode(),
            "m.yaml:3: event_id: must be a string",
        ),
        (
            "m.yaml",
            (YAML_HEAD + "a: &a x\n" + OPS.replace(f"'{E}'", "*a")).encode(),
            "aliases (*name) are not allowed",
        ),
        ("m.txt", f"op,event_id\ncancel,{E}\n".encode(), "unsupported file type '.txt'"),
    ],
)
async def test_malformed_manifest_sends_nothing(
    sandbox: Sandbox, tmp_path: Path, name: str, content: bytes, expected: str
) -> None:
    """Every problem listed as FILE:LINE: field: message, exit 2, zero requests, no audit."""
    path = write(tmp_path, name, content)
    result = await run(path, tmp_path, sandbox.base_url, sandbox.token)
    assert result.code == ExitCode.INVALID, result.err
    assert expected in result.err
    assert "nothing was sent" in result.err
    assert sandbox.stats().requests_total == 0
    assert result.audit == []


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        ({"concurrency": "abc"}, "--concurrency: Input should be a valid integer"),
        ({"concurrency": "abc"}, "(got 'abc')"),
        ({"write_limit": "0/30s"}, "--write-limit: the count and the window must be above zero"),
        ({"read_limit": "5"}, "--read-limit: expected a rate like 15/30s, got '5'"),
        ({"deadline": "soon"}, "--deadline: expected a duration"),
        ({"max_attempts": "-1"}, "--max-attempts: Input should be greater than or equal to 1"),
    ],
)
async def test_bad_flag_is_one_line_and_sends_nothing(
    sandbox: Sandbox, tmp_path: Path, flags: dict[str, Any], expected: str
) -> None:
    """A bad flag value: one `graph-batch: --flag: ...` line naming it, exit 2, zero requests."""
    job = write_yaml_job(ROWS, tmp_path / "job.yaml")
    result = await run(job, tmp_path, sandbox.base_url, sandbox.token, **flags)
    assert result.code == ExitCode.INVALID
    assert expected in result.err
    assert re.fullmatch(r"graph-batch: --[a-z-]+: [^\n]+\n", result.err), result.err
    assert sandbox.stats().requests_total == 0
