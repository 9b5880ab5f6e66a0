"""A manifest's `settings:` block is checked without pydantic, with the same rules and words as
the run-time settings the flags and `GRAPH_BATCH_*` variables go through."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from batch.errors import UsageError
from batch.exit_codes import ExitCode
from batch.run.settings import resolve_settings
from batch.settings import ManifestSettings, RateLimit, SettingProblem, SettingsError
from batch.wording import shown
from tests.process_helpers import run_cli


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"concurrency": "4"}, ManifestSettings(concurrency=4)),
        ({"concurrency": 4.0}, ManifestSettings(concurrency=4)),
        ({"concurrency": " +4 "}, ManifestSettings(concurrency=4)),
        ({"max_destructive": -0.0}, ManifestSettings(max_destructive=0)),
        ({"max_destructive": 10**30}, ManifestSettings(max_destructive=10**30)),
        (
            {"write_limit": "1000000000/86400s"},
            ManifestSettings(write_limit=RateLimit.parse("1000000000/86400")),
        ),
        ({"deadline": "1e3"}, ManifestSettings(deadline=1000.0)),
        ({"deadline": 90}, ManifestSettings(deadline=90.0)),
        ({"write_limit": "15 / 30"}, ManifestSettings(write_limit=RateLimit.parse("15/30s"))),
        (
            {"api_version": "beta", "auth": "device-code"},
            ManifestSettings(api_version="beta", auth="device-code"),
        ),
        ({"concurrency": None, "cloud": None}, ManifestSettings()),
    ],
)
def test_settings_read_as_pydantic_lax_mode_did(data: dict[str, object], expected: object) -> None:
    """Numbers written as text or floats, padded or signed, read as the value they spell."""
    assert ManifestSettings.from_mapping(data) == expected


INT = "Input should be a valid integer"
FRACTION = f"{INT}, got a number with a fractional part"
NOT_INT = f"{INT}, unable to parse string as an integer"
NOT_NUMBER = "Input should be a valid number, unable to parse string as a number"
RATE = "expected a rate like 15/30s, got"
NAMES = "base_url, api_version, concurrency, write_limit, read_limit, max_attempts, deadline, "
NAMES += "audit_log, auth, cloud, max_destructive, log_format"
TYPO = "; did you mean 'concurrency'?"
FINITE = "Input should be a finite number"
BOOLEAN = f"{INT}, not a boolean"
HUGE = "the count must be at most 1000000000 and the window at most 86400s (a day)"
LONG_RATE = "1/" + "9" * 400
ZERO = "the count and the window must be above zero, got '0/1s'"
ARABIC_INDIC = "\u0661\u0665\u0660/5s"
"""150/5s in Arabic-Indic digits: a rate is ASCII digits only."""


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ({"concurrency": 4.5}, ("concurrency", FRACTION, "4.5")),
        ({"concurrency": "four"}, ("concurrency", NOT_INT, "four")),
        ({"concurrency": 0}, ("concurrency", "Input should be greater than or equal to 1", "0")),
        ({"concurrency": 257}, ("concurrency", "Input should be less than or equal to 256", "257")),
        (
            {"max_attempts": float("inf")},
            ("max_attempts", "Input should be a finite number", "inf"),
        ),
        ({"max_attempts": [1]}, ("max_attempts", INT, "[1]")),
        ({"deadline": "60s"}, ("deadline", NOT_NUMBER, "60s")),
        ({"deadline": 0}, ("deadline", "Input should be greater than 0", "0")),
        ({"deadline": -0.0}, ("deadline", "Input should be greater than 0", "-0.0")),
        ({"deadline": float("inf")}, ("deadline", FINITE, "inf")),
        ({"deadline": float("nan")}, ("deadline", FINITE, "nan")),
        ({"deadline": "-inf"}, ("deadline", FINITE, "-inf")),
        ({"deadline": 10**400}, ("deadline", FINITE, str(10**400))),
        (
            {"deadline": 1e300},
            ("deadline", "Input should be less than or equal to 31622400", "1e+300"),
        ),
        ({"deadline": True}, ("deadline", "Input should be a valid number, not a boolean", "true")),
        ({"concurrency": True}, ("concurrency", BOOLEAN, "true")),
        ({"max_attempts": True}, ("max_attempts", BOOLEAN, "true")),
        ({"max_destructive": False}, ("max_destructive", BOOLEAN, "false")),
        ({"max_destructive": "9" * 5000}, ("max_destructive", NOT_INT, "9" * 5000)),
        ({"concurrency": float("nan")}, ("concurrency", FINITE, "nan")),
        ({"write_limit": True}, ("write_limit", f"{RATE} 'True'", None)),
        ({"write_limit": "1/100000s"}, ("write_limit", f"{HUGE}, got '1/100000s'", None)),
        ({"read_limit": "1000000001/1s"}, ("read_limit", f"{HUGE}, got '1000000001/1s'", None)),
        (
            {"read_limit": "1/" + "9" * 400},
            ("read_limit", f"{RATE} {shown('1/' + '9' * 400)}", None),
        ),
        ({"base_url": 4}, ("base_url", "Input should be a valid string", "4")),
        ({"api_version": "BETA"}, ("api_version", "Input should be 'v1.0' or 'beta'", "BETA")),
        ({"log_format": "xml"}, ("log_format", "Input should be 'console' or 'json'", "xml")),
        ({"write_limit": 15}, ("write_limit", f"{RATE} 15 (add the window: /30s)", None)),
        ({"write_limit": "0/1s"}, ("write_limit", ZERO, None)),
        ({"write_limit": ARABIC_INDIC}, ("write_limit", f"{RATE} {shown(ARABIC_INDIC)}", None)),
        ({"read_limit": datetime.date(2027, 1, 2)}, ("read_limit", f"{RATE} '2027-01-02'", None)),
        ({"concurency": 3}, ("concurency", f"unknown setting (expected {NAMES}){TYPO}", None)),
        ({1: 2}, ("1", "Keys should be strings", "1")),
    ],
)
def test_each_bad_setting_is_one_problem_in_pydantic_words(
    data: dict[object, object], problem: tuple[str, str, str | None]
) -> None:
    """A wrong value or key is named with what was expected and, unless the message says it,
    what was given."""
    with pytest.raises(SettingsError) as caught:
        ManifestSettings.from_mapping(data)
    assert caught.value.problems == (SettingProblem(*problem),)


def test_problems_come_in_field_order_then_unknown_keys() -> None:
    """Every problem is reported at once: known settings in their order, unknown keys last."""
    data = {"bogus": 1, "max_attempts": 0, "concurrency": 0}
    with pytest.raises(SettingsError) as caught:
        ManifestSettings.from_mapping(data)
    assert [p.key for p in caught.value.problems] == ["concurrency", "max_attempts", "bogus"]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("concurrency", 0),
        ("concurrency", 257),
        ("max_attempts", 101),
        ("deadline", 0),
        ("max_destructive", -1),
        ("write_limit", "0/1s"),
        ("write_limit", "1/86401s"),
        ("concurrency", True),
        ("max_attempts", "true"),
        ("max_destructive", False),
        ("deadline", True),
        ("deadline", float("inf")),
        ("deadline", float("nan")),
        ("deadline", 10**9),
    ],
)
def test_manifest_and_flags_refuse_alike(name: str, value: object) -> None:
    """One rule for each setting: a value the manifest refuses is refused from a flag too, with
    the same words."""
    with pytest.raises(SettingsError) as caught:
        ManifestSettings.from_mapping({name: value})
    with pytest.raises(UsageError) as flagged:
        resolve_settings({name: value}, {})
    assert caught.value.problems[0].message in flagged.value.message


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        ("concurrency: true", f"settings.concurrency: {BOOLEAN} (got 'true')"),
        ("max_destructive: true", f"settings.max_destructive: {BOOLEAN} (got 'true')"),
        ("max_attempts: yes", f"settings.max_attempts: {BOOLEAN} (got 'true')"),
        ("deadline: true", "settings.deadline: Input should be a valid number, not a boolean"),
        ("deadline: .inf", f"settings.deadline: {FINITE} (got 'inf')"),
        ("deadline: .nan", f"settings.deadline: {FINITE} (got 'nan')"),
        ("write_limit: 1/999999s", f"settings.write_limit: {HUGE}"),
    ],
)
async def test_validate_and_run_refuse_booleans_and_infinities(
    tmp_path: Path, setting: str, expected: str
) -> None:
    """`validate` and `run` say FILE:LINE: settings.FIELD for a boolean or infinity; exit 2."""
    job = tmp_path / "job.yaml"
    job.write_text(
        f"version: 1\nsettings:\n  {setting}\noperations:\n  - {{op: cancel, event_id: e}}\n",
        encoding="utf-8",
    )
    for command in (("validate",), ("run", "--yes")):
        done = await run_cli(*command, job.name, env={"GRAPH_ACCESS_TOKEN": "t"}, cwd=tmp_path)
        assert done.code == ExitCode.INVALID, done.err
        assert f"{job.name}:3: {expected}" in done.out + done.err
        assert "Traceback" not in done.err


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        ("cloud: mars", "settings.cloud: unknown cloud 'mars'; choose one of: public, usgov,"),
        ("cloud: publik", "settings.cloud: unknown cloud 'publik'; choose one of"),
        ("auth: magic", "settings.auth: Input should be 'auto', 'token'"),
        ("api_version: v2", "settings.api_version: Input should be 'v1.0' or 'beta'"),
        ("base_url: http://graph.microsoft.com", "settings.base_url: refusing plain http"),
        ("base_url: graph.microsoft.com", "settings.base_url: expected an https:// URL"),
        ("base_url: https://h/?x=1", "settings.base_url: the base URL must not have a query"),
        (
            "{base_url: 'https://graph.microsoft.com/beta', api_version: v1.0}",
            "settings.base_url: the base URL ends in /beta but the API version is v1.0",
        ),
    ],
)
async def test_validate_refuses_what_run_refuses_at_start(
    tmp_path: Path, setting: str, expected: str
) -> None:
    """A cloud, sign-in mode, API version or base URL `run` would refuse fails `validate`."""
    block = f"settings: {setting}" if setting.startswith("{") else f"settings:\n  {setting}"
    job = tmp_path / "job.yaml"
    job.write_text(
        f"version: 1\n{block}\noperations:\n  - {{op: cancel, event_id: e}}\n", encoding="utf-8"
    )
    line = 2 if setting.startswith("{") else 3
    for command in (("validate",), ("run", "--yes")):
        done = await run_cli(*command, job.name, env={"GRAPH_ACCESS_TOKEN": "t"}, cwd=tmp_path)
        assert done.code == ExitCode.INVALID, (command, done.out, done.err)
        output = done.out + done.err
        assert f"{job.name}:{line}: {expected}" in output, (command, output)
