"""YAML manifests: layout, defaults and settings, and every kind of bad input as a problem."""

from __future__ import annotations

import time
import tracemalloc
from pathlib import Path

import pytest
import yaml

from batch.manifest import iter_entries, validate_manifest, yaml_reader
from batch.operations import Cancel, EventType, GetSession, RemoveSession
from batch.settings import ManifestSettings, RateLimit
from tests.manifest_files import only_error, write

LOADERS = [yaml.SafeLoader] + ([yaml.CSafeLoader] if yaml.__with_libyaml__ else [])


@pytest.fixture(autouse=True, params=LOADERS, ids=lambda loader: loader.__name__)
def _each_parser(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run every YAML test with the pure-Python parser and with libyaml when present."""
    monkeypatch.setattr(yaml_reader, "_Loader", request.param)


GOOD = """\
version: 1
defaults:
  event_type: townhall
settings:
  concurrency: 4
  write_limit: 15/30s
operations:
  - op: cancel
    event_id: "e1"
    x-ticket: T-1
  - op: get-session
    event_type: webinar
    event_id: e2
    session_id: s
  - {op: remove-session, event_id: e3, registration_email: a@contoso.com, session_id: s}
"""


def test_good_yaml_reads_with_defaults_settings_and_labels(tmp_path: Path) -> None:
    """Defaults fill fields an operation leaves out, settings are validated, x- keys are labels."""
    path = write(tmp_path, "m.yaml", GOOD)
    validation = validate_manifest(path)
    assert validation.ok, validation.errors
    assert validation.format == "yaml"
    assert validation.settings.concurrency == 4
    assert validation.settings.write_limit == RateLimit(count=15, per_seconds=30)
    assert validation.columns == (
        "event_type", "op", "event_id", "x-ticket", "session_id", "registration_email"
    )  # fmt: skip
    entries = list(iter_entries(path))
    assert [e.operation for e in entries] == [
        Cancel(event_type=EventType.TOWNHALL, event_id="e1"),
        GetSession(event_type=EventType.WEBINAR, event_id="e2", session_id="s"),
        RemoveSession(
            event_type=EventType.TOWNHALL,
            event_id="e3",
            registration_email="a@contoso.com",
            session_id="s",
        ),
    ]
    assert [e.location.line for e in entries] == [8, 11, 15]
    assert entries[0].labels == {"x-ticket": "T-1"}
    assert entries[0].fields == {
        "event_type": "townhall", "op": "cancel", "event_id": "e1", "x-ticket": "T-1"
    }  # fmt: skip


V = "version: 1\n"
ONE_OP = "operations:\n  - {op: cancel, event_id: e}\n"

BOMB = "version: 1\na: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
    f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
    for i in range(9)
) + "operations:\n  - {op: cancel, event_id: *j}\n"  # fmt: skip


@pytest.mark.parametrize(
    ("content", "line", "field", "message"),
    [
        ("", None, None, "file is empty"),
        ("# only a comment\n", None, None, "file is empty"),
        (V + "operations: []\n", None, None, "no operations"),
        (V + "operations:\n", 2, "operations", "must be a list of operations"),
        (ONE_OP, None, "version", "required"),
        ("version: 2\n" + ONE_OP, 1, "version", "unsupported"),
        ("- a\n- b\n", 1, None, "must be a mapping with version: and operations:"),
        (
            V + "operation:\n  - {op: cancel, event_id: e}\n",
            2,
            None,
            "unknown top-level key 'operation'",
        ),
        (V + "operations:\n  - op: cancel\n    event_id: [e\n", 5, None, "not valid YAML"),
        (V + "operations:\n  - op: cancel\n\tevent_id: e\n", 4, None, "not valid YAML"),
        (V + "operations:\n  - {op: cancel, event_id: 12345}\n", 3, "event_id", "string"),
        (V + "operations:\n  - {op: cancel, event_id: 2024-01-02}\n", 3, "event_id", "quotes"),
        (V + "operations:\n  - {op: cancel, event_id: [a]}\n", 3, "event_id", "string"),
        (V + "operations:\n  - just-a-string\n", 3, None, "must be a mapping"),
        (V + "operations:\n  - {op: cancel, evnt_id: e}\n", 3, "evnt_id", "did you mean"),
        (V + "operations:\n  - {op: cancel, event_id: a, event_id: b}\n", 3, "event_id", "twice"),
        (
            V + "operations:\n  - {op: cancel, event_id: e}\ndefaults: {event_type: townhall}\n",
            4,
            "defaults",
            "must come before operations",
        ),
        (V + "defaults: {x-a: b}\n" + ONE_OP, 2, "defaults.x-a", "unknown field"),
        (V + "settings: {concurency: 3}\n" + ONE_OP, 2, "settings.concurency", "unknown setting"),
        (
            V + "settings: {concurency: 3}\n" + ONE_OP,
            2,
            "settings.concurency",
            "mean 'concurrency'",
        ),
        (
            V + "settings:\n  concurrency: 4\n  concurrency: 8\n" + ONE_OP,
            4,
            "settings.concurrency",
            "given twice (lines 3 and 4)",
        ),
        (
            V + "settings:\n  deadline: 60\n  concurrency: four\n" + ONE_OP,
            4,
            "settings.concurrency",
            "got 'four'",
        ),
        (V + "settings:\n  write_limit: 15\n" + ONE_OP, 3, "settings.write_limit", "like 15/30s"),
        (V + "settings: [a]\n" + ONE_OP, 2, "settings", "must be a mapping of setting: value"),
        (
            V + "defaults:\n  event_type: townhall\n  colour: red\n" + ONE_OP,
            4,
            "defaults.colour",
            "unknown field",
        ),
        (
            V + "defaults:\n  event_type: townhall\n  event_type: webinar\n" + ONE_OP,
            4,
            "defaults.event_type",
            "given twice (lines 3 and 4)",
        ),
        (
            V + "operations:\n  - op: cancel\n    event_id: a\n    event_id: b\n",
            3,
            "event_id",
            "given twice (lines 4 and 5)",
        ),
        (V + V + ONE_OP, 2, "version", "given twice (lines 1 and 2)"),
        (V + "settings: {write_limit: fast}\n" + ONE_OP, 2, "settings.write_limit", "15/30s"),
        (V + "operations:\n  - {op: cancle, event_id: e}\n", 3, "op", "unknown op 'cancle'"),
        (V + ONE_OP + "---\n" + V, 4, None, "only one YAML document"),
        (V + "x: " + "[" * 50 + "]" * 50 + "\noperations: []\n", 2, None, "nested deeper"),
        (V + "x: !!python/object:os.system {}\n" + ONE_OP, 2, None, "unknown top-level key"),
        (V + "settings: !!python/object/apply:os.system [ls]\n" + ONE_OP, 2, "settings", "tag"),
        (
            b"version: 1\noperations:\n  - {op: cancel, event_id: \xff}\n",
            3,
            None,
            "not valid UTF-8",
        ),
        (b"version: 1\x00\n", 1, None, "NUL bytes"),
    ],
)
def test_bad_yaml_is_one_clear_problem(
    tmp_path: Path, content: str | bytes, line: int | None, field: str | None, message: str
) -> None:
    """Each kind of bad YAML gives one error at the right line and field, saying what is wrong."""
    problem = only_error(write(tmp_path, "m.yaml", content))
    assert (problem.line, problem.field) == (line, field), problem
    assert message in problem.message


def test_yaml_bomb_is_refused_fast_in_little_memory(tmp_path: Path) -> None:
    """Billion-laughs aliases are refused at the first alias: fast, small, one clear problem."""
    path = write(tmp_path, "bomb.yml", BOMB)
    tracemalloc.start()
    started = time.perf_counter()
    try:
        validation = validate_manifest(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - started < 2
    assert peak < 5_000_000
    assert not validation.ok
    assert "aliases (*name) are not allowed" in validation.errors[-1].message
    assert validation.errors[-1].line == 3


def test_null_and_empty_values_mean_not_given(tmp_path: Path) -> None:
    """`key:` with no value and `""` count as not given, like an empty CSV cell."""
    text = 'version: 1\noperations:\n  - {op: cancel, event_id: e, x-note: "", event_type: }\n'
    [entry] = iter_entries(write(tmp_path, "m.yml", text))
    assert entry.operation == Cancel(event_id="e")
    assert entry.fields == {"op": "cancel", "event_id": "e"}


@pytest.mark.parametrize("block", ["settings:\n", "settings: {}\n", "settings: ~\n"])
def test_empty_settings_block_means_no_settings(tmp_path: Path, block: str) -> None:
    """An empty `settings:` (as left after commenting out its keys) is no settings, not an error."""
    validation = validate_manifest(write(tmp_path, "m.yaml", V + block + ONE_OP))
    assert validation.ok, [str(p) for p in validation.errors]
    assert validation.settings == ManifestSettings()
