"""`make bench`'s targets: each written once, checked and printed from the same numbers."""

from __future__ import annotations

import pytest

from batch.bench import Outcome, Target


@pytest.mark.parametrize(
    ("target", "text"),
    [
        (Target(ratio=1.03, share=0.0), "<= 1.03, no 429"),
        (Target(ratio=1.08, share=0.02), "<= 1.08, <= 2% 429"),
        (Target(windows=2), "converges <= 2 windows"),
        (Target(ratio=1.12), "<= 1.12"),
        (Target(), "for information"),
    ],
)
def test_a_target_prints_the_bounds_it_checks(target: Target, text: str) -> None:
    """The printed target is made from the same bounds as the check."""
    assert str(target) == text


def test_each_bound_can_miss() -> None:
    """An outcome over any one bound misses; within all of them it is met."""
    within = Outcome(ratio=1.02, share_429=0.01, lost=0, windows=2.0)
    target = Target(ratio=1.05, share=0.01, windows=2)
    assert target.met(within)
    assert not target.met(Outcome(1.06, 0.01, 0, windows=2.0))
    assert not target.met(Outcome(1.02, 0.011, 0, windows=2.0))
    assert not target.met(Outcome(1.02, 0.01, 0, windows=3.0))
    assert not target.met(Outcome(1.02, 0.01, 0, windows=None))
    assert Target(share=0.0).met(Outcome(1.5, 0.0, 0))
    assert not Target(share=0.0).met(Outcome(1.0, 0.001, 0))
