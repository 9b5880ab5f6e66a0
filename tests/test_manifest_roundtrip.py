"""Round trips: operations written as CSV or YAML read back as exactly the same operations."""

from __future__ import annotations

import tempfile
from pathlib import Path

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from batch.jobctl.failures import FailuresCsvWriter
from batch.manifest import iter_entries, validate_manifest
from batch.operations import (
    DOT_SEGMENTS,
    FIELD_NAMES,
    Cancel,
    CancelRegistration,
    EventType,
    GetSession,
    Operation,
    RemoveSession,
)

_IDS = st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1, max_size=40
).filter(lambda text: text == text.strip() and text not in DOT_SEGMENTS)
_EMAILS = st.sampled_from(["a@contoso.com", "O'Neil@Contoso.com", "x.y+z@fabrikam.co.uk"])
_TYPES = st.sampled_from(list(EventType))
_REGISTRATION = st.one_of(
    st.builds(lambda r: {"registration_id": r}, _IDS),
    st.builds(lambda e: {"registration_email": e}, _EMAILS),
)
_OPERATIONS: st.SearchStrategy[Operation] = st.one_of(
    st.builds(Cancel, event_type=_TYPES, event_id=_IDS),
    st.builds(
        lambda t, e, s: GetSession(event_type=t, event_id=e, session_id=s), _TYPES, _IDS, _IDS
    ),
    st.builds(
        lambda t, e, s, reg: RemoveSession(event_type=t, event_id=e, session_id=s, **reg),
        _TYPES, _IDS, _IDS, _REGISTRATION,
    ),
    st.builds(
        lambda t, e, reg: CancelRegistration(event_type=t, event_id=e, **reg),
        _TYPES, _IDS, _REGISTRATION,
    ),
)  # fmt: skip
_MANIFESTS = st.lists(_OPERATIONS, min_size=1, max_size=8)


def _fields(operation: Operation) -> dict[str, str]:
    return {"op": operation.op, **operation.target}


def _read_back(path: Path) -> list[Operation]:
    validation = validate_manifest(path)
    assert validation.ok, [str(p) for p in validation.errors]
    return [entry.operation for entry in iter_entries(path)]


@settings(max_examples=60, deadline=None)
@given(operations=_MANIFESTS)
def test_csv_round_trip(operations: list[Operation]) -> None:
    """Rows written as CSV by graph-batch's own writer (the failures CSV) read back as the same
    operations, whatever the ids hold."""
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "m.csv"
        with FailuresCsvWriter(path, FIELD_NAMES) as out:
            for operation in operations:
                out.add(_fields(operation), "Code", "message")
        assert _read_back(path) == operations


@settings(max_examples=60, deadline=None)
@given(operations=_MANIFESTS)
def test_yaml_round_trip(operations: list[Operation]) -> None:
    """A YAML dump of the operations reads back as the same operations."""
    document = {"version": 1, "operations": [_fields(op) for op in operations]}
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "m.yaml"
        path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
        assert _read_back(path) == operations


def test_failures_csv_keeps_the_input_columns(tmp_path: Path) -> None:
    """Entries written back with the manifest's own columns re-read as the same rows."""
    source = tmp_path / "in.csv"
    source.write_text("x-ticket,op,event_id\nT-1,cancel,e1\n,cancel,e2\n", encoding="utf-8")
    columns = validate_manifest(source).columns
    out = tmp_path / "failures.csv"
    with FailuresCsvWriter(out, columns) as failures:
        for entry in iter_entries(source):
            failures.add(entry.fields, "NotFound", "no such event")
    assert failures.count == 2
    header, *rows = out.read_text(encoding="utf-8").splitlines()
    assert header == "x-ticket,op,event_id,x-source-line,error_code,error_message,reason"
    assert rows == ["T-1,cancel,e1,,NotFound,no such event,", ",cancel,e2,,NotFound,no such event,"]
    assert [e.fields for e in iter_entries(out)] == [
        {**e.fields, "error_code": "NotFound", "error_message": "no such event"}
        for e in iter_entries(source)
    ]
    assert not list(tmp_path.glob(".*.tmp"))
