"""The audit writer: private file, one valid JSON line per record, secrets masked."""

from __future__ import annotations

import json
import logging
import stat
from pathlib import Path

import pytest
import structlog

from batch.audit.records import AuditRecord, OpFinished, Outcome, RunFinished, RunStarted
from batch.audit.writer import AuditWriter
from batch.auth.redact import MASK as REDACTED
from batch.errors import GraphBatchError

JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.c2lnbmF0dXJlLXBhcnQ"


def test_file_is_private_and_lines_are_json(tmp_path: Path) -> None:
    """The log is created 0600; each record is one JSON line starting with ts/event/run_id."""
    path = tmp_path / "audit.jsonl"
    records: list[AuditRecord] = [
        RunStarted(
            run_id="r1",
            tool_version="0",
            manifest="m.csv",
            manifest_sha256="abc",
            settings={},
            base_url="https://graph.microsoft.com",
        ),
        OpFinished(
            run_id="r1", row=2, op="cancel", target={"event_id": "é"}, outcome=Outcome.SUCCEEDED
        ),
        RunFinished(run_id="r1", counts={"succeeded": 1}, elapsed=0.1, exit_code=0),
    ]
    with AuditWriter(path) as writer:
        for record in records:
            writer.write(record)
            # Flushed as written: the line is on disk before the next record.
            assert path.read_text(encoding="utf-8").count("\n") == records.index(record) + 1
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    lines = path.read_text(encoding="utf-8").splitlines()
    parsed = [json.loads(line) for line in lines]
    assert [p["event"] for p in parsed] == ["run.started", "op.finished", "run.finished"]
    assert all(list(p)[:3] == ["ts", "event", "run_id"] for p in parsed)
    assert parsed[1]["target"] == {"event_id": "é"}
    assert parsed[0]["ts"].endswith("Z")


def test_truncated_last_line_is_closed_before_appending(tmp_path: Path) -> None:
    """After a kill mid-write, the next run's records start on a line of their own."""
    path = tmp_path / "audit.jsonl"
    path.write_text('{"ts":"2026-11-21T00:00:00Z","event":"run.finished"}\n{"ts":"2026-11-2')
    with AuditWriter(path) as writer:
        writer.write(RunFinished(run_id="r", counts={}, elapsed=0, exit_code=0))
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[1] == '{"ts":"2026-11-2'
    assert json.loads(lines[2])["run_id"] == "r"


def test_appends_to_existing_file(tmp_path: Path) -> None:
    """A second writer on the same path adds lines instead of truncating."""
    path = tmp_path / "audit.jsonl"
    for _ in range(2):
        with AuditWriter(path) as writer:
            writer.write(RunFinished(run_id="r", counts={}, elapsed=0, exit_code=0))
    assert len(path.read_text().splitlines()) == 2


@pytest.mark.parametrize(
    ("field", "leak"),
    [
        ({"error_message": f"token {JWT} expired"}, JWT),
        ({"error_message": "header was Bearer abcdefgh12345678"}, "abcdefgh12345678"),
        ({"labels": {"authorization": "whatever-secret"}}, "whatever-secret"),
        ({"labels": {"note": f"x{JWT}"}}, JWT),
        ({"reason": "access_token=s3cr3t-value"}, "s3cr3t-value"),
    ],
)
def test_redaction_in_the_log(tmp_path: Path, field: dict[str, object], leak: str) -> None:
    """Token-shaped strings and secret-named keys that reach a record are masked on disk."""
    path = tmp_path / "audit.jsonl"
    record = OpFinished.model_validate(
        {"run_id": "r", "row": 1, "op": "cancel", "target": {}, "outcome": "failed", **field}
    )
    with AuditWriter(path) as writer:
        writer.write(record)
    text = path.read_text()
    assert leak not in text
    assert REDACTED in text


def test_redaction_keeps_ordinary_text(tmp_path: Path) -> None:
    """Normal values (ids, Graph messages) pass through untouched."""
    path = tmp_path / "audit.jsonl"
    message = "The event is already canceled."
    with AuditWriter(path) as writer:
        writer.write(
            OpFinished(
                run_id="r",
                row=1,
                op="cancel",
                target={"event_id": "abc@def"},
                outcome=Outcome.FAILED,
                error_message=message,
            )
        )
    line = json.loads(path.read_text())
    assert (line["error_message"], line["target"]) == (message, {"event_id": "abc@def"})


def test_redaction_applies_in_the_writer(tmp_path: Path) -> None:
    """A token that slipped into a record is masked on disk."""
    path = tmp_path / "audit.jsonl"
    with AuditWriter(path) as writer:
        writer.write(
            OpFinished(
                run_id="r",
                row=1,
                op="cancel",
                target={},
                outcome=Outcome.FAILED,
                error_message=f"Bearer {JWT}",
            )
        )
    assert JWT not in path.read_text()


def test_global_structlog_configuration_does_not_apply(tmp_path: Path) -> None:
    """A host program's structlog level filter cannot silence the audit log."""
    path = tmp_path / "audit.jsonl"
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.CRITICAL))
    try:
        with AuditWriter(path) as writer:
            writer.write(RunFinished(run_id="r", counts={}, elapsed=0, exit_code=0))
    finally:
        structlog.reset_defaults()
    assert json.loads(path.read_text())["event"] == "run.finished"


def test_masked_line_stays_valid_json(tmp_path: Path) -> None:
    """A secret inside quotes, commas and key=value text is masked and the line still parses."""
    path = tmp_path / "audit.jsonl"
    message = f'refused "Bearer {JWT}", access_token={JWT}; retry'
    with AuditWriter(path) as writer:
        writer.write(
            OpFinished(
                run_id="r",
                row=1,
                op="cancel",
                target={},
                outcome=Outcome.FAILED,
                error_message=message,
                labels={"x-client_secret": "k-123", "x-ticket": "CHG-1"},
            )
        )
    line = json.loads(path.read_text())
    assert JWT not in line["error_message"]
    assert line["labels"] == {"x-client_secret": REDACTED, "x-ticket": "CHG-1"}


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs Linux's /dev/full")
def test_write_failure_is_one_clear_error() -> None:
    """A log that cannot be written (disk full) is a GraphBatchError naming the file."""
    with AuditWriter(Path("/dev/full")) as writer, pytest.raises(GraphBatchError) as caught:
        writer.write(RunFinished(run_id="r", counts={}, elapsed=0, exit_code=0))
    assert "cannot write the audit log /dev/full" in caught.value.message
