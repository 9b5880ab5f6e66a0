"""Huge and binary files: `graph-batch validate` refuses them at the offending line (exit 2) in
flat memory, whatever the shape: a 1 GiB tail of NUL bytes after a valid row, no newline at all,
one giant cell, one giant YAML scalar on one line or over many, a file of nothing but NULs.

Each runs the real CLI in a fresh interpreter that reports its own peak-memory growth, so the
figure is this validation's alone.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from batch.manifest.source import MAX_LINE_BYTES

GIB = 1 << 30
BIG = 32 * MAX_LINE_BYTES
"""Real bytes written for the shapes a sparse file cannot make (32 MiB: 32 times the bound)."""
GROWTH_LIMIT_KIB = 16 * 1024
"""Peak memory growth allowed: reading any of these whole would take several times `BIG`."""

_MEASURE = """
import resource, sys
from batch.cli import main
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
code = main(["validate", sys.argv[1]])
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(f"\\nEXIT {code} GROWTH {after - before}")
"""


def _sparse(path: Path, head: bytes, size: int = GIB) -> None:
    """`head`, then NUL bytes up to `size` (a sparse file: no disk used), like `truncate -s`."""
    path.write_bytes(head)
    with path.open("r+b") as stream:
        stream.truncate(size)


def _repeat(path: Path, head: bytes, chunk: bytes, tail: bytes = b"") -> None:
    with path.open("wb") as stream:
        stream.write(head)
        for _ in range(BIG // len(chunk)):
            stream.write(chunk)
        stream.write(tail)


CSV_ROW = b"op,event_id\ncancel,ev1\n"
YAML_HEAD = b"version: 1\noperations:\n  - op: cancel\n    event_id: ev1\n"
CASES: dict[str, tuple[str, Callable[[Path], None], str]] = {
    # name: (file name, how to make it, what the one error says)
    "csv-1gib-nul-tail": ("big.csv", lambda p: _sparse(p, CSV_ROW), "m:3: contains NUL bytes"),
    "yaml-1gib-nul-tail": (
        "big.yaml",
        lambda p: _sparse(p, YAML_HEAD),
        "m:5: contains NUL bytes",
    ),
    "csv-only-nul": ("nul.csv", lambda p: _sparse(p, b""), "m:1: contains NUL bytes"),
    "yaml-only-nul": ("nul.yaml", lambda p: _sparse(p, b"", 4096), "m:1: contains NUL bytes"),
    "csv-no-newline": ("flat.csv", lambda p: _repeat(p, b"", b"op,event_id,"), "m:1: line longer"),
    "csv-giant-cell": (
        "cell.csv",
        lambda p: _repeat(p, CSV_ROW + b"cancel,", b"x" * 4096, b"\n"),
        "m:3: line longer",
    ),
    "csv-giant-quoted-cell-over-many-lines": (
        "quoted.csv",
        lambda p: _repeat(p, CSV_ROW + b'cancel,"', b"x" * 60 + b"\n", b'"\n'),
        "m:3: field too large",
    ),
    "yaml-giant-scalar-one-line": (
        "line.yaml",
        lambda p: _repeat(p, YAML_HEAD + b"  - op: cancel\n    event_id: ", b"e" * 4096, b"\n"),
        "m:6: line longer",
    ),
    "yaml-giant-block-scalar": (
        "block.yaml",
        lambda p: _repeat(p, YAML_HEAD + b"  - op: cancel\n    event_id: |\n", b"      e\n"),
        "a single value runs over",
    ),
    "yaml-giant-quoted-scalar": (
        "quoted.yaml",
        lambda p: _repeat(p, YAML_HEAD + b'  - op: cancel\n    event_id: "', b"e e e e\n"),
        "a single value runs over",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_huge_file_is_refused_in_flat_memory(tmp_path: Path, case: str) -> None:
    """One error naming the line, exit 2, and peak memory far below the file's size."""
    name, make, message = CASES[case]
    path = tmp_path / name
    make(path)
    done = subprocess.run(  # noqa: S603 - our own interpreter, fixed code.
        [sys.executable, "-c", _MEASURE, str(path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    *printed, last = done.stdout.strip().splitlines()
    _, code, _, growth = last.split()
    assert int(code) == 2, done.stdout + done.stderr
    assert int(growth) < GROWTH_LIMIT_KIB, f"grew {growth} KiB"
    assert "Traceback" not in done.stderr
    text = "\n".join(printed).replace(str(path), "m")
    assert message in text, text
    assert "UTF-16" not in text
    if "NUL" in message:
        assert "binary" in text
