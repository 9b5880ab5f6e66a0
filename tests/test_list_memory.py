"""Listing a long collection runs in flat memory: items are filtered and written as they come."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from tests.list_helpers import text_of

PAGES, PER_PAGE = 60, 1000

# A fresh interpreter, so the peak RSS growth is this listing's alone.
_MEASURE = """
import resource, sys
from batch.cli import main
import aiohttp, rich.console, batch.listing.service, batch.listing.sinks  # loaded before measuring
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
code = main(sys.argv[1:])
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(code, after - before, file=sys.stderr)
"""


def _page(number: int, url: str) -> dict[str, object]:
    """One page of generated events (about 0.5 KB of JSON each), linking to the next."""
    value = [
        {
            "@odata.type": "#microsoft.graph.virtualEventWebinar",
            "id": f"{number:04d}-{n:05d}-4b7e-4f3a-9c1d-2e5b7a9f0c31@72f988bf-86f1-41af-91ab",
            "displayName": f"Generated webinar {number}/{n} " + "x" * 200,
            "status": "published" if n % 2 else "draft",
            "startDateTime": {"dateTime": "2027-01-15T15:00:00.0000000", "timeZone": "UTC"},
            "endDateTime": {"dateTime": "2027-01-15T16:00:00.0000000", "timeZone": "UTC"},
        }
        for n in range(PER_PAGE)
    ]
    body: dict[str, object] = {"value": value}
    if number + 1 < PAGES:
        body["@odata.nextLink"] = f"{url}?$skiptoken={number + 1}"
    return body


@pytest.mark.slow
async def test_sixty_thousand_events_list_in_flat_memory(tmp_path: Path) -> None:
    """60,000 events over 60 pages to a manifest: memory grows by far less than the items."""

    async def pages(request: web.Request) -> web.Response:
        number = int(request.query.get("$skiptoken", "0"))
        url = f"{request.scheme}://{request.host}{request.path}"
        return web.json_response(_page(number, url))

    app = web.Application()
    app.router.add_get("/{tail:.*}", pages)
    out = tmp_path / "job.csv"
    async with TestServer(app, host="127.0.0.1") as server:
        base = str(server.make_url("")).rstrip("/")
        argv = ["list", "events", "--type", "webinar", "--status", "published", "--op", "cancel"]
        child = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            _MEASURE,
            *argv,
            "--out",
            str(out),
            "--base-url",
            base,
            "--read-limit",
            "1000/1s",
            "--auth",
            "token",
            env=os.environ | {"GRAPH_ACCESS_TOKEN": "t", "GRAPH_BATCH_STATE_DIR": str(tmp_path)},
            stderr=asyncio.subprocess.PIPE,
        )
        _, err = await asyncio.wait_for(child.communicate(), timeout=110)
    code, growth_kib = err.decode().split()[-2:]
    assert code == "0", err.decode()
    assert text_of(out).count("\ncancel,") == PAGES * PER_PAGE // 2
    # Kept, 60,000 parsed events would take well over 100 MB; one page is about 2 MB.
    assert int(growth_kib) < 40 * 1024, f"grew {growth_kib} KiB"
