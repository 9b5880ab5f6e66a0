"""A server whose next-page links loop (back to the same page, or to an earlier one) must not
keep `graph-batch list` reading for ever: exit 1 with a clear message, no manifest."""

from __future__ import annotations

from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer

from tests.list_helpers import clean_env, cli, files_in
from tests.standin import Event, Quirks, StandIn

__all__ = ["clean_env"]
pytestmark = pytest.mark.usefixtures("clean_env")


@pytest.mark.parametrize("shape", ["loop-self", "loop-first"])
async def test_repeating_next_link_stops_the_listing(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path, shape: str
) -> None:
    """A next-page link repeating a page already read: exit 1 naming the repeat, a handful of
    requests (not an endless loop), and no manifest written."""
    monkeypatch.setenv("GRAPH_ACCESS_TOKEN", "opaque")
    events = {f"w{n}": Event("webinar", display_name=f"Webinar {n}") for n in range(5)}
    standin = StandIn(events, Quirks(page_size=2, next_link=shape))  # type: ignore[arg-type]
    async with TestServer(standin.app(), host="127.0.0.1") as server:
        url = str(server.make_url("")).rstrip("/")
        out = tmp_path / "job.csv"
        result = await cli(
            capsys, "list", "events", "--type", "webinar", "--op", "cancel", "--out", str(out),
            "--base-url", url,
        )  # fmt: skip
    assert result.code == 1, result.err
    assert "repeats a page already read" in result.err
    assert sum(standin.records.statuses.values()) <= 4
    assert [name for name in files_in(tmp_path) if name.startswith("job")] == []
