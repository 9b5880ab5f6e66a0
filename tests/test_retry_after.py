"""Retry-After parsing: seconds, fractional seconds, HTTP dates, and garbage."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from batch.http.retry_after import parse_retry_after

NOW = datetime(2026, 11, 21, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("5", 5.0),
        (" 120 ", 120.0),
        ("2.128", 2.128),
        ("0", 0.0),
        ("-3", 0.0),
        ("Sat, 21 Nov 2026 12:00:30 GMT", 30.0),
        ("Sat, 21 Nov 2026 11:59:00 GMT", 0.0),
        ("Sat, 21 Nov 2026 12:01:00", 60.0),
        ("", None),
        (None, None),
        ("soon", None),
        ("nan", None),
        ("inf", None),
    ],
)
def test_table(header: str | None, expected: float | None) -> None:
    """Each documented form gives the right wait; unreadable ones give None."""
    result = parse_retry_after(header, NOW)
    if expected is None:
        assert result is None
    else:
        assert result == pytest.approx(expected)


@given(st.text())
def test_never_raises_never_negative(header: str) -> None:
    """Any header text gives None or a non-negative finite number."""
    result = parse_retry_after(header, NOW)
    assert result is None or 0 <= result < float("inf")
