"""`graph-batch list` end to end against the sandbox: several pages, every filter, empty
results, a 403 naming the permission, usage errors, and manifests that `run` runs as they are."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from batch.sandbox import Sandbox, World
from batch.sandbox.world import Event, Registration, Session, TokenSpec, User
from tests.conftest import SandboxFactory
from tests.list_helpers import Cli, clean_env, cli, files_in, run_manifest, text_of

__all__ = ["clean_env"]
pytestmark = pytest.mark.usefixtures("clean_env")

ME, MEGAN = "organizer@contoso.com", "megan.bowen@contoso.com"
S1, S2, S3 = "s1@w1", "s2+q&a/part@w1", "s3@w1"


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _event(ident: str, name: str, status: str, start: str, **more: object) -> Event:
    return Event.model_validate(
        {"id": ident, "displayName": name, "status": status, "start": _at(start)}
        | {"organizer": ME}
        | more
    )


REGISTRATIONS = (
    Registration(id="r1", email="a@contoso.com", sessions=(S1, S2)),
    Registration(id="r2", email="b@fabrikam.com", sessions=(S1,)),
    Registration(id="r3", email="c@fabrikam.com", status="canceled", sessions=(S1,)),
    Registration(id="r4", email="d@contoso.com", status="waitlisted", sessions=(S1, S3)),
    Registration(id="r5", email="E@Fabrikam.com", sessions=(S1, S3)),
)
WORLD = World(
    tokens=(TokenSpec(name="me", upn=ME), TokenSpec(name="daemon", app_only=True, app_grant="rsc")),
    users=(User(id="u-me", upn=ME), User(id="u-megan", upn=MEGAN)),
    webinars=(
        _event(
            "w1@t",
            "Holiday party",
            "published",
            "2026-12-20T15:00",
            sessions=tuple(Session(id=s, start=_at("2026-12-20T15:00")) for s in (S1, S2, S3)),
            registrations=REGISTRATIONS,
        ),
        _event("w2@t", "Quarterly update", "published", "2027-01-10T09:00", coOrganizers=[MEGAN]),
        _event("w3@t", "holiday Q&A", "draft", "2026-12-22T10:00"),
        _event("w4@t", "Old one", "canceled", "2026-11-01T10:00"),
        _event(
            "w5@t",
            "Megan's webinar",
            "published",
            "2026-12-21T10:00",
            organizer=MEGAN,
            coOrganizers=[ME],
        ),
        _event("w6/eve@t", "Holiday eve", "published", "2026-12-24T00:00"),
    ),
    townhalls=(
        _event("t1@t", "All-hands HOLIDAY", "published", "2026-12-23T17:00"),
        _event(
            "t2@t",
            "Megan town hall",
            "published",
            "2027-02-01T10:00",
            organizer=MEGAN,
            coOrganizers=[ME],
        ),
        _event("t3@t", "Town hall draft", "draft", "2026-12-15T10:00"),
    ),
)
MINE = {"w1@t", "w2@t", "w3@t", "w4@t", "w6/eve@t", "t1@t", "t3@t"}


@pytest.fixture
async def sandbox(sandbox_factory: SandboxFactory, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    """The list world, two items per page, my delegated token in GRAPH_ACCESS_TOKEN."""
    served = await sandbox_factory(world=WORLD, page_size=2)
    monkeypatch.setenv("GRAPH_ACCESS_TOKEN", served.token_named("me"))
    return served


async def _list(capsys: pytest.CaptureFixture[str], sandbox: Sandbox, *argv: str) -> Cli:
    return await cli(capsys, "list", *argv, "--base-url", sandbox.base_url)


def _ids(result: Cli, column: str = "event_id") -> set[str]:
    assert result.code == 0, result.err
    return {row[column] for row in csv.DictReader(io.StringIO(result.out))}


async def test_events_are_read_over_several_pages(
    sandbox: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two per page: 5 webinars take 3 pages, 2 town halls 1; every item of mine, in JSON."""
    result = await _list(capsys, sandbox, "events", "--format", "json")
    assert result.code == 0, result.err
    items = json.loads(result.out)
    assert {item["id"] for item in items} == MINE
    assert {item["event_type"] for item in items if item["id"].startswith("t")} == {"townhall"}
    assert all("displayName" in item and "startDateTime" in item for item in items)
    assert sandbox.stats().by_method == {"GET": 4}
    assert "4 pages, 7 items, 7 matched" in result.err


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        pytest.param([], MINE, id="defaults"),
        pytest.param(
            ["--type", "webinar"], {"w1@t", "w2@t", "w3@t", "w4@t", "w6/eve@t"}, id="type"
        ),
        pytest.param(["--type", "townhall"], {"t1@t", "t3@t"}, id="townhall"),
        pytest.param(["--role", "coOrganizer"], {"w5@t", "t2@t"}, id="role"),
        pytest.param(["--user-id", "u-megan"], {"w5@t", "t2@t"}, id="user-id"),
        pytest.param(["--user-id", "u-megan", "--role", "coOrganizer"], {"w2@t"}, id="user-co"),
        pytest.param(["--status", "draft,Canceled"], {"w3@t", "w4@t", "t3@t"}, id="status"),
        pytest.param(
            ["--starts-after", "2026-12-20T15:00:00Z"],
            {"w1@t", "w2@t", "w3@t", "w6/eve@t", "t1@t"},
            id="starts-after-inclusive",
        ),
        pytest.param(
            ["--starts-after", "2026-12-20T16:00+01:00", "--type", "webinar"],
            {"w1@t", "w2@t", "w3@t", "w6/eve@t"},
            id="starts-after-offset",
        ),
        pytest.param(
            ["--starts-before", "2026-12-24"],
            {"w1@t", "w3@t", "w4@t", "t1@t", "t3@t"},
            id="starts-before-exclusive",
        ),
        pytest.param(["--name", "holiday"], {"w1@t", "w3@t", "w6/eve@t", "t1@t"}, id="name"),
        pytest.param(["--name", "^holiday (party|eve)$"], {"w1@t", "w6/eve@t"}, id="name-regex"),
        pytest.param(
            ["--status", "published", "--starts-before", "2027-01-01", "--name", "HOLIDAY"],
            {"w1@t", "w6/eve@t", "t1@t"},
            id="combined",
        ),
    ],
)
async def test_each_event_filter(
    sandbox: Sandbox, capsys: pytest.CaptureFixture[str], flags: list[str], expected: set[str]
) -> None:
    """Each filter keeps exactly the events it describes (bounds: after inclusive, before
    exclusive; names any case)."""
    assert _ids(await _list(capsys, sandbox, "events", *flags)) == expected


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        pytest.param([], {"r1", "r2", "r3", "r4", "r5"}, id="all"),
        pytest.param(["--status", "registered"], {"r1", "r2", "r5"}, id="status"),
        pytest.param(["--email", "FABRIKAM"], {"r2", "r3", "r5"}, id="email-any-case"),
        pytest.param(
            ["--status", "registered", "--email", r"fabrikam\.com$"], {"r2", "r5"}, id="both"
        ),
    ],
)
async def test_registration_filters(
    sandbox: Sandbox,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    flags: list[str],
    expected: set[str],
) -> None:
    """With an application token, registrations list over 3 pages and filter by status/email."""
    monkeypatch.setenv("GRAPH_ACCESS_TOKEN", sandbox.token_named("daemon"))
    result = await _list(capsys, sandbox, "registrations", "--event-id", "w1@t", *flags)
    assert _ids(result, "registration_id") == expected
    assert sandbox.stats().by_method == {"GET": 3}


async def test_registrations_with_a_delegated_token_name_the_permission(
    sandbox: Sandbox, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """403 on registrations with a delegated token: exit 3, the needed permission named,
    and no manifest left behind."""
    out = tmp_path / "regs.csv"
    result = await _list(
        capsys,
        sandbox,
        "registrations",
        "--event-id",
        "w1@t",
        "--op",
        "cancel-registration",
        "--out",
        str(out),
    )
    assert result.code == 3
    assert "VirtualEvent.Read.Chat" in result.err
    assert "403" in result.err
    assert not out.exists()
    assert files_in(tmp_path) == []


async def test_empty_result(
    sandbox: Sandbox, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """No match: exit 0, "0 matched", a CSV with its header only, and no manifest written."""
    result = await _list(capsys, sandbox, "events", "--name", "no such event")
    assert result.code == 0
    assert "0 matched" in result.err
    assert result.out.strip() == "event_type,event_id,display_name,status,start,end"
    out = tmp_path / "none.yaml"
    result = await _list(
        capsys, sandbox, "events", "--name", "nothing", "--op", "cancel", "--out", str(out)
    )
    assert (result.code, out.exists()) == (0, False)
    assert "0 matched" in result.out


@pytest.mark.parametrize("suffix", [".csv", ".yaml"])
async def test_manifest_then_run_changes_exactly_the_matches(
    sandbox: Sandbox, capsys: pytest.CaptureFixture[str], tmp_path: Path, suffix: str
) -> None:
    """list --op cancel --out writes a manifest validate accepts; run cancels exactly the
    matching events and nothing else."""
    out = tmp_path / f"cancel{suffix}"
    before = sandbox.state()
    flags = ["--status", "published", "--starts-before", "2027-01-01", "--op", "cancel"]
    result = await _list(capsys, sandbox, "events", *flags, "--out", str(out))
    assert result.code == 0, result.err
    assert "3 operations" in result.out
    assert (await cli(capsys, "validate", str(out))).code == 0
    audit = tmp_path / "audit.jsonl"
    run = await run_manifest(capsys, out, sandbox.base_url, audit)
    assert run.code == 0, run.err
    after = sandbox.state()
    changed = {
        event_id
        for collection in ("webinars", "townhalls")
        for event_id, event in after[collection].items()
        if event != before[collection][event_id]
    }
    assert changed == {"w1@t", "w6/eve@t", "t1@t"}
    assert all(
        after[c][e]["status"] == "canceled"
        for c in ("webinars", "townhalls")
        for e in changed
        if e in after[c]
    )
    assert set(sandbox.stats().applied.values()) == {1}
    labels = [json.loads(line).get("labels") for line in text_of(audit).splitlines()]
    assert {
        "x-display-name": "Holiday eve",
        "x-start": "2026-12-24T00:00:00Z",
        "x-status": "published",
    } in labels


async def test_registrations_manifest_removes_a_session(
    sandbox: Sandbox,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """Registrations listed with the app token become a remove-session job that the
    organizer's run applies to exactly those registrations."""
    monkeypatch.setenv("GRAPH_ACCESS_TOKEN", sandbox.token_named("daemon"))
    out = tmp_path / "remove.csv"
    flags = ["--status", "registered", "--email", "fabrikam", "--op", "remove-session"]
    result = await _list(
        capsys,
        sandbox,
        "registrations",
        "--event-id",
        "w1@t",
        *flags,
        "--session-id",
        S1,
        "--out",
        str(out),
    )
    assert result.code == 0, result.err
    rows = list(csv.DictReader(io.StringIO(text_of(out))))
    assert {row["x-email"] for row in rows} == {"b@fabrikam.com", "E@Fabrikam.com"}
    monkeypatch.setenv("GRAPH_ACCESS_TOKEN", sandbox.token_named("me"))
    run = await run_manifest(capsys, out, sandbox.base_url, tmp_path / "audit.jsonl")
    assert run.code == 0, run.err
    registrations = sandbox.state()["webinars"]["w1@t"]["registrations"]
    still_s1 = {ident for ident, reg in registrations.items() if S1 in reg["sessions"]}
    assert still_s1 == {"r1", "r3", "r4"}


async def test_sessions_manifest_is_a_valid_read_job(
    sandbox: Sandbox, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """An event's sessions (2 pages) become a get-session manifest that validates and runs."""
    out = tmp_path / "sessions.yml"
    result = await _list(
        capsys, sandbox, "sessions", "--event-id", "w1@t", "--op", "get-session", "--out", str(out)
    )
    assert result.code == 0, result.err
    assert "3 operations" in result.out
    run = await run_manifest(capsys, out, sandbox.base_url, tmp_path / "audit.jsonl")
    assert run.code == 0, run.err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["events", "--op", "cancel"], "--op needs --out"),
        (["events", "--out", "x.csv"], "--out needs --op"),
        (["events", "--op", "cancel", "--out", "x.txt"], ".csv, .yaml or .yml"),
        (["events", "--starts-after", "next tuesday"], "ISO 8601"),
        (["events", "--name", "(unclosed"], "not a regular expression"),
        (["events", "--status", "published,finished"], "draft, published, canceled"),
        (["events", "--op", "get-session", "--out", "x.csv"], "invalid choice"),
        (
            ["registrations", "--event-id", "e", "--op", "remove-session", "--out", "x.csv"],
            "needs --session-id",
        ),
        (["registrations", "--event-id", "e", "--session-id", "s"], "goes with --op remove"),
        (["sessions"], "--event-id"),
    ],
)
async def test_usage_errors_send_nothing(
    sandbox: Sandbox,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    argv: list[str],
    message: str,
) -> None:
    """Bad flags: exit 2, a message saying what is wrong, no request sent, no file written."""
    argv = [str(tmp_path / arg) if arg.startswith("x.") else arg for arg in argv]
    result = await _list(capsys, sandbox, *argv)
    assert result.code == 2
    assert message in result.err
    assert sandbox.stats().requests_total == 0
    assert files_in(tmp_path) == []


async def test_existing_manifest_needs_force(
    sandbox: Sandbox, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """An existing --out is never replaced without --force (exit 2, nothing sent); with it,
    it is."""
    out = tmp_path / "job.csv"
    out.write_text("keep me\n", encoding="utf-8")
    argv = ("events", "--op", "cancel", "--out", str(out))
    result = await _list(capsys, sandbox, *argv)
    assert (result.code, text_of(out)) == (2, "keep me\n")
    assert "--force" in result.err
    assert sandbox.stats().requests_total == 0
    assert (await _list(capsys, sandbox, *argv, "--force")).code == 0
    assert text_of(out).startswith("op,event_type,event_id,")


async def test_a_page_that_keeps_failing_exits_1(
    sandbox_factory: SandboxFactory,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """Every read answers 503: after the last attempt, exit 1 naming the page; no manifest."""
    failing = await sandbox_factory(world=WORLD, faults={"status_503": 1.0})
    monkeypatch.setenv("GRAPH_ACCESS_TOKEN", failing.token_named("me"))
    out = tmp_path / "job.csv"
    result = await cli(
        capsys,
        "list",
        "events",
        "--op",
        "cancel",
        "--out",
        str(out),
        "--max-attempts",
        "2",
        "--base-url",
        failing.base_url,
        "--auth",
        "token",
    )
    assert result.code == 1
    assert "page 1 failed after retries (HTTP 503" in result.err
    assert failing.stats().requests_total == 2
    assert files_in(tmp_path) == []


async def test_a_refused_token_exits_3(
    sandbox: Sandbox, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An unknown token is refused even after a refresh: exit 3."""
    monkeypatch.setenv("GRAPH_ACCESS_TOKEN", "not-a-token")
    result = await _list(capsys, sandbox, "events")
    assert result.code == 3
    assert "refused" in result.err


async def test_o_means_the_output_format(
    sandbox: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    """`-o json` (as on every command) prints JSON; it never names a file."""
    result = await _list(capsys, sandbox, "events", "-o", "json", "--type", "townhall")
    assert result.code == 0, result.err
    assert {item["id"] for item in json.loads(result.out)} == {"t1@t", "t3@t"}
