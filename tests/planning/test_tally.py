"""The summary: counts, the bounded list of rows needing attention, and the time estimate."""

from __future__ import annotations

import io

from batch.display.terminal import as_text
from batch.operations import Cancel
from batch.planning.classify import classify
from batch.planning.reader import ReadResult
from batch.planning.summary import render_summary
from batch.planning.tally import MAX_LISTED, PlanTally
from batch.settings import RateLimit


def test_attention_list_is_bounded() -> None:
    """Only the first rows needing attention are kept; the rest are counted."""
    tally = PlanTally()
    for n in range(MAX_LISTED + 5):
        tally.add(classify(n, n + 2, Cancel(event_id=f"e{n}"), ReadResult(404, None, "NotFound")))
    tally.add(classify(99, 200, Cancel(event_id="ok"), ReadResult(200, {"status": "draft"})))
    text = as_text(io.StringIO(), *render_summary(tally, RateLimit(count=1, per_seconds=1)))
    assert len(tally.attention) == MAX_LISTED
    assert f"Rows that need attention ({MAX_LISTED + 5}, first {MAX_LISTED} shown)" in text
    assert "  row 2  cancel  not-found: event not found" in text.splitlines()
    assert "... and 5 more (see the plan file)" in text
    assert "1 write(s) would be sent; at 1/1s that takes at least 0.0s." in text
    assert tally.needs_attention
