"""Helpers shared by the manifest tests: write a manifest file and read its one problem."""

from __future__ import annotations

from pathlib import Path

from batch.manifest import Problem, validate_manifest

HEADER = "op,event_type,event_id,registration_id,registration_email,session_id\n"


def write(directory: Path, name: str, content: str | bytes) -> Path:
    """Write `content` to `directory/name` and return the path."""
    path = directory / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8", newline="")
    return path


def only_error(path: Path) -> Problem:
    """The single error validating `path` reports (fails the test if there is not exactly one)."""
    validation = validate_manifest(path)
    assert len(validation.errors) == 1, [str(p) for p in validation.errors]
    return validation.errors[0]
