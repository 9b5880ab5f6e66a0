"""Round trips: operations written as CSV or YAML read back as exactly the same operations."""

from __future__ import annotations

import tempfile
from pathlib import Path

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from batch.manifest import iter_entries, validate_manifest, write_csv
from batch.operations import (
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
).filter(lambda text: text == text.strip())
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
    """write_csv then iter_entries gives back the same operations, whatever the ids hold."""
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "m.csv"
        write_csv([_fields(op) for op in operations], FIELD_NAMES, path)
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
    assert write_csv(iter_entries(source), columns, out) == 2
    assert out.read_text(encoding="utf-8") == source.read_text(encoding="utf-8")
    assert not list(tmp_path.glob(".*partial"))
