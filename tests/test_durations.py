"""Durations: parsed from what people type, printed the way they read, one format both ways."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from batch.durations import format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90", 90), ("1.5", 1.5), ("90m", 5400), ("2h", 7200), ("1h30m", 5400), ("45s", 45)],
)
def test_parse_duration(text: str, seconds: float) -> None:
    """Seconds, minutes, hours and combinations."""
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "0", "-5", "m", "1x", "h1"])
def test_parse_duration_rejects(text: str) -> None:
    """Empty, zero, negative and malformed durations are refused."""
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text)


@given(st.text(max_size=12))
def test_parse_duration_never_crashes(text: str) -> None:
    """Any text gives a positive number or a ValueError."""
    with contextlib.suppress(ValueError):
        assert parse_duration(text) > 0


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (-5, "0.0s"),
        (0, "0.0s"),
        (2.46, "2.5s"),
        (42.4, "42s"),
        (59.6, "1m00s"),
        (185, "3m05s"),
        (3720, "1h02m"),
        (20160, "5h36m"),
    ],
)
def test_format_duration(seconds: float, text: str) -> None:
    """Tenths under ten seconds, then a clock-like `3m05s` / `1h02m`."""
    assert format_duration(seconds) == text


@given(st.floats(min_value=0.1, max_value=1e6))
def test_printed_durations_parse_back(seconds: float) -> None:
    """What a summary prints can be pasted into --deadline and means about the same time."""
    assert parse_duration(format_duration(seconds)) == pytest.approx(seconds, rel=0.02, abs=0.06)
