"""Shards parse strictly and partition operation keys stably, disjointly and evenly."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from batch.errors import UsageError
from batch.jobctl.shard import Shard, in_shard, parse_shard, shard_of
from batch.operations import Cancel


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1/1", Shard(1, 1)),
        ("2/4", Shard(2, 4)),
        (" 4 / 4 ", Shard(4, 4)),
        ("10/12", Shard(10, 12)),
    ],
)
def test_parse_valid(text: str, expected: Shard) -> None:
    """K/N with 1 <= K <= N parses, surrounding spaces allowed."""
    assert parse_shard(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("0/4", "between 1 and 4"),
        ("5/4", "between 1 and 4"),
        ("1/0", "at least 1"),
        ("0/0", "at least 1"),
        ("2", "expected K/N"),
        ("-1/4", "expected K/N"),
        ("a/b", "expected K/N"),
        ("1/4/2", "expected K/N"),
        ("", "expected K/N"),
        ("1.5/4", "expected K/N"),
    ],
)
def test_parse_invalid(text: str, message: str) -> None:
    """Malformed or out-of-range shards are usage errors that say what is wrong."""
    with pytest.raises(UsageError, match=message):
        parse_shard(text)


@given(st.text())
def test_parse_never_crashes(text: str) -> None:
    """Any text either parses to a valid shard or raises UsageError, nothing else."""
    try:
        shard = parse_shard(text)
    except UsageError:
        return
    assert 1 <= shard.index <= shard.count


@given(st.sets(st.text(), max_size=50), st.integers(min_value=1, max_value=20))
def test_shards_are_a_disjoint_cover(keys: set[str], count: int) -> None:
    """Every key belongs to exactly one of the N shards."""
    for key in keys:
        owners = [k for k in range(1, count + 1) if in_shard(key, Shard(k, count))]
        assert len(owners) == 1


@given(st.text())
def test_no_shard_owns_everything(key: str) -> None:
    """Without --shard a run owns every row."""
    assert in_shard(key, None)


# Fixed values: if these change, shards would move between releases and a resumed shard
# would redo or miss rows.
EXPECTED = {
    '["cancel",{"event_id":"e1","event_type":"webinar"}]': 3,
    '["cancel",{"event_id":"e2","event_type":"webinar"}]': 2,
    '["cancel",{"event_id":"e3","event_type":"townhall"}]': 3,
    "": 1,
}


def test_assignment_is_fixed_across_releases() -> None:
    """Known keys map to pinned shards of 4, and Operation.key still produces those keys."""
    assert Cancel(event_id="e1").key in EXPECTED
    assert {key: shard_of(key, 4) for key in EXPECTED} == EXPECTED


def test_assignment_is_the_same_in_another_process() -> None:
    """A fresh interpreter (with its own hash salt) assigns the same shards."""
    code = "import sys; from batch.jobctl.shard import shard_of; print(shard_of(sys.argv[1], 97))"
    key = Cancel(event_id="e1").key
    out = subprocess.run(  # noqa: S603 - our own interpreter running our own snippet.
        [sys.executable, "-c", code, key], capture_output=True, text=True, check=True
    )
    assert int(out.stdout) == shard_of(key, 97)


@pytest.mark.parametrize("count", [2, 3, 8])
def test_roughly_balanced_for_10k_keys(count: int) -> None:
    """10,000 keys spread within 10% of an even share per shard."""
    sizes = Counter(shard_of(Cancel(event_id=f"event-{i}").key, count) for i in range(10_000))
    even = 10_000 / count
    assert set(sizes) == set(range(1, count + 1))
    assert all(abs(size - even) < 0.1 * even for size in sizes.values())
