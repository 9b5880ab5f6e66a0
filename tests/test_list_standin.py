"""`graph-batch list` against `tests/standin.py`, which is not our sandbox: next-page links in
other shapes (`$skip`, hex `$skiptoken`, root-relative), times as plain strings with offsets,
then `run` on the written manifest; and a link to another host, which must never get the token."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from tests.list_helpers import clean_env, cli, files_in, run_manifest
from tests.standin import Event, Quirks, Registration, StandIn

__all__ = ["clean_env"]
pytestmark = pytest.mark.usefixtures("clean_env")
TOKEN = "opaque-standin-token"


def _events() -> dict[str, Event]:
    """Nine events; times as plain strings, some with offsets; roles and statuses mixed."""
    return {
        "w1 'quoted'@x": Event("webinar", display_name="Winter social", start="2026-12-18T09:00Z"),
        "w2+plus@x": Event(
            "webinar", display_name="WINTER planning", start="2026-12-18T10:00:00+01:00"
        ),
        "w3/slash@x": Event("webinar", display_name="Winter draft", status="draft"),
        "w4@x": Event("webinar", display_name="Spring social", start="2027-03-01T09:00:00Z"),
        "w5@x": Event("webinar", display_name="Winter co", roles=("coOrganizer",)),
        "w6@x": Event("webinar", display_name="Winter late", start="2026-12-31T23:30:00-02:00"),
        "t1@x": Event("townhall", display_name="winter all-hands", start="2026-12-20T12:00:00"),
        "t2@x": Event("townhall", display_name="Summer all-hands", start="2026-07-01T12:00:00Z"),
        "t3@x": Event("townhall", display_name="Winter canceled", status="canceled"),
    }


FILTER = ["--status", "published", "--name", "^winter", "--starts-before", "2027-01-01"]
"""Published, named winter..., starting before 2027 (w6 starts 2027-01-01T01:30Z: out)."""
MATCHING = {"w1 'quoted'@x", "w2+plus@x", "t1@x"}


@asynccontextmanager
async def _serve(quirks: Quirks) -> AsyncIterator[tuple[StandIn, str]]:
    standin = StandIn(_events(), quirks)
    async with TestServer(standin.app(), host="127.0.0.1") as server:
        yield standin, str(server.make_url("")).rstrip("/")


@pytest.mark.parametrize("shape", ["absolute-skiptoken", "absolute-skip", "root-relative"])
@pytest.mark.parametrize("suffix", [".csv", ".yaml"])
async def test_list_then_run_changes_exactly_the_matches(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    shape: str,
    suffix: str,
) -> None:
    """Every next-link shape is followed to the end; the manifest's run cancels exactly the
    matching events, nothing else."""
    monkeypatch.setenv("GRAPH_ACCESS_TOKEN", TOKEN)
    out = tmp_path / f"job{suffix}"
    async with _serve(Quirks(page_size=2, next_link=shape)) as (standin, url):  # type: ignore[arg-type]
        listed = await cli(
            capsys,
            "list",
            "events",
            *FILTER,
            "--op",
            "cancel",
            "--out",
            str(out),
            "--base-url",
            url,
        )
        assert listed.code == 0, listed.err
        assert "5 pages, 8 items, 3 matched" in listed.err
        run = await run_manifest(capsys, out, url, tmp_path / "audit.jsonl")
        assert run.code == 0, run.err
    canceled = {ident for ident, event in standin.events.items() if event.status == "canceled"}
    assert canceled == MATCHING | {"t3@x"}
    assert dict(standin.records.applied) == {f"cancel:{ident}": 1 for ident in MATCHING}


async def test_next_link_to_another_host_is_not_followed(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A next-page link on another origin: exit 1, saying why; that server never gets a
    request (so never the token), and no manifest is written."""
    monkeypatch.setenv("GRAPH_ACCESS_TOKEN", TOKEN)
    seen: list[dict[str, str]] = []

    async def record(request: web.Request) -> web.Response:
        seen.append(dict(request.headers))
        return web.json_response({"value": []})

    elsewhere = web.Application()
    elsewhere.router.add_route("*", "/{tail:.*}", record)
    async with TestServer(elsewhere, host="127.0.0.1") as other:
        origin = str(other.make_url("")).rstrip("/")
        async with _serve(Quirks(page_size=2, next_link_origin=origin)) as (_, url):
            out = tmp_path / "job.csv"
            result = await cli(
                capsys,
                "list",
                "events",
                "--type",
                "webinar",
                "--op",
                "cancel",
                "--out",
                str(out),
                "--base-url",
                url,
            )
    assert result.code == 1
    assert origin in result.err
    assert "only ever sent to --base-url" in result.err
    assert seen == []
    assert files_in(tmp_path) == []


async def test_registrations_listed_then_canceled(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Registrations over several pages, filtered by status and email, become a
    cancel-registration job that cancels exactly those registrations."""
    monkeypatch.setenv("GRAPH_ACCESS_TOKEN", TOKEN)
    out = tmp_path / "registrations.yaml"
    async with _serve(Quirks(page_size=2, next_link="absolute-skip")) as (standin, url):
        event = standin.events["w2+plus@x"]
        for n in range(5):
            status = "waitlisted" if n == 3 else "registered"
            event.registrations[f"r{n}+'x'"] = Registration(f"p{n}@{'ab'[n % 2]}.example", status)
        listed = await cli(
            capsys,
            "list",
            "registrations",
            "--event-id",
            "w2+plus@x",
            "--status",
            "registered",
            "--email",
            "@A\\.EXAMPLE$",
            "--op",
            "cancel-registration",
            "--out",
            str(out),
            "--base-url",
            url,
        )
        assert listed.code == 0, listed.err
        assert "3 pages, 5 items, 3 matched" in listed.err
        run = await run_manifest(capsys, out, url, tmp_path / "audit.jsonl")
        assert run.code == 0, run.err
    canceled = {ident for ident, reg in event.registrations.items() if reg.status == "canceled"}
    assert canceled == {"r0+'x'", "r2+'x'", "r4+'x'"}
