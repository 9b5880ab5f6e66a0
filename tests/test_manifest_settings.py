"""A manifest's `settings:` block is checked without pydantic, with the same rules and words as
the run-time settings the flags and `GRAPH_BATCH_*` variables go through."""

from __future__ import annotations

import datetime

import pytest

from batch.errors import UsageError
from batch.run.settings import resolve_settings
from batch.settings import ManifestSettings, RateLimit, SettingProblem, SettingsError


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"concurrency": "4"}, ManifestSettings(concurrency=4)),
        ({"concurrency": 4.0}, ManifestSettings(concurrency=4)),
        ({"concurrency": " +4 "}, ManifestSettings(concurrency=4)),
        ({"max_destructive": False}, ManifestSettings(max_destructive=0)),
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
ZERO = "the count and the window must be above zero, got '0/1s'"


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
        ({"base_url": 4}, ("base_url", "Input should be a valid string", "4")),
        ({"api_version": "BETA"}, ("api_version", "Input should be 'v1.0' or 'beta'", "BETA")),
        ({"log_format": "xml"}, ("log_format", "Input should be 'console' or 'json'", "xml")),
        ({"write_limit": 15}, ("write_limit", f"{RATE} 15 (add the window: /30s)", None)),
        ({"write_limit": "0/1s"}, ("write_limit", ZERO, None)),
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
