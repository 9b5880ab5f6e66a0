"""Arbitrary bytes or text as a manifest: always problems or entries, never an exception."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from batch.cli import main
from batch.exit_codes import ExitCode
from batch.manifest import validate_manifest

SUFFIXES = st.sampled_from([".csv", ".yaml"])
# Text built from the characters that matter to the parsers, so examples reach deep code paths.
SYNTAX = st.text(
    st.sampled_from(list("op,event_id\"'\r\n\t ;#:-[]{}&*!|>?%@`\x00\ufeff\xe9cancelx")),
    max_size=200,
)
MANIFEST_LIKE = st.builds(
    lambda head, body: head + body,
    st.sampled_from(["op,event_id\n", "version: 1\noperations:\n  - ", "", "\ufeff"]),
    SYNTAX,
)
CONTENT = st.one_of(st.binary(max_size=300), MANIFEST_LIKE.map(lambda text: text.encode()))


@settings(max_examples=300, deadline=None)
@given(content=CONTENT, suffix=SUFFIXES)
def test_validate_manifest_never_raises(content: bytes, suffix: str) -> None:
    """Whatever the bytes, validation returns a verdict; an invalid file always says why."""
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / f"m{suffix}"
        path.write_bytes(content)
        validation = validate_manifest(path)
    assert validation.ok == (validation.error_count == 0)
    assert validation.ok or validation.errors


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(content=CONTENT, suffix=SUFFIXES)
def test_validate_command_exits_0_or_2(
    content: bytes, suffix: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """`graph-batch validate` on any file exits 0 or 2 and prints a verdict, never a traceback."""
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / f"m{suffix}"
        path.write_bytes(content)
        code = main(["validate", str(path)])
    out, err = capsys.readouterr()
    assert code in {ExitCode.OK, ExitCode.INVALID}
    assert "Traceback" not in out + err
    assert f"m{suffix}: {'valid' if code == ExitCode.OK else 'INVALID'}" in out
