"""The pure parts of `graph-batch list`: WHEN, statuses, the
next-page link rule, and the HTTP client's own refusal to leave the base URL's origin."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta, timezone

import pytest

from batch.cli import main
from batch.http.client import GraphClient
from batch.listing.filters import (
    ItemFilter,
    parse_statuses,
    parse_when,
)
from batch.listing.kinds import EVENT_STATUSES, ListKind
from batch.listing.pages import PageFailedError, next_url
from batch.listing.progress import LiveProgress, Tally
from batch.listing.rows import Listed
from batch.listing.sinks import TableSink
from batch.operations import EventType
from tests.run_helpers import FakeTerminal

NOON = datetime(2027, 1, 15, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2027-01-15", datetime(2027, 1, 15, tzinfo=UTC)),
        ("2027-01-15T12:00", NOON),
        ("2027-01-15T13:00+01:00", NOON),
        ("2027-01-15T12:00:00Z", NOON),
    ],
)
def test_when_is_utc_unless_it_has_an_offset(text: str, expected: datetime) -> None:
    """WHEN: a date or date-time, UTC without an offset."""
    assert parse_when(text) == expected


def test_bad_when_and_status_say_what_is_expected() -> None:
    """Unreadable WHEN and unknown statuses are ValueErrors naming the accepted forms."""
    with pytest.raises(ValueError, match="ISO 8601"):
        parse_when("tomorrow")
    with pytest.raises(ValueError, match="draft, published, canceled"):
        parse_statuses("published,gone", EVENT_STATUSES)
    assert parse_statuses("Draft, PUBLISHED", EVENT_STATUSES) == {"draft", "published"}


def test_time_bounds_are_inclusive_after_and_exclusive_before() -> None:
    """An event starting exactly at --starts-after is in; exactly at --starts-before is out."""
    window = ItemFilter(starts_after=NOON, starts_before=NOON + timedelta(hours=1))
    at = {"startDateTime": {"dateTime": "2027-01-15T12:00:00.0000000", "timeZone": "UTC"}}
    end = {"startDateTime": "2027-01-15T14:00:00+01:00"}
    assert window.matches(at)
    assert not window.matches(end)
    assert not window.matches({"startDateTime": None})


@pytest.mark.parametrize(
    ("link", "expected"),
    [
        (
            "https://graph.microsoft.com/v1.0/x?$skiptoken=a",
            "https://graph.microsoft.com/v1.0/x?$skiptoken=a",
        ),
        ("https://GRAPH.microsoft.com:443/v1.0/y", "https://GRAPH.microsoft.com:443/v1.0/y"),
        ("/v1.0/x?$skip=2", "https://graph.microsoft.com/v1.0/x?$skip=2"),
        ("x?$skip=4", "https://graph.microsoft.com/v1.0/solutions/x?$skip=4"),
    ],
)
def test_next_link_on_the_base_origin_is_followed(link: str, expected: str) -> None:
    """Absolute, root-relative and page-relative links on the same origin resolve."""
    current = "https://graph.microsoft.com/v1.0/solutions/list"
    assert next_url(link, current, "https://graph.microsoft.com") == expected


@pytest.mark.parametrize(
    "link",
    [
        "https://graph.microsoft.com.evil.example/v1.0/x",
        "http://graph.microsoft.com/v1.0/x",
        "https://graph.microsoft.com:8443/v1.0/x",
        "//elsewhere.example/v1.0/x",
        "",
        42,
    ],
)
def test_next_link_elsewhere_stops(link: object) -> None:
    """Another host, scheme or port (or no URL at all) stops paging."""
    with pytest.raises(PageFailedError):
        next_url(link, "https://graph.microsoft.com/v1.0/a", "https://graph.microsoft.com")


def test_client_refuses_an_absolute_url_elsewhere() -> None:
    """The HTTP client itself never builds a request to another origin."""
    client = GraphClient("https://graph.microsoft.com", "v1.0")
    assert str(client.url("https://graph.microsoft.com/v1.0/x")).endswith("/v1.0/x")
    with pytest.raises(ValueError, match="off the base URL"):
        client.url("https://attacker.example/v1.0/x")


def test_progress_is_shown_on_a_terminal_only() -> None:
    """On a terminal the counts are drawn; elsewhere nothing is written."""
    terminal, pipe = FakeTerminal(), io.StringIO()
    for stream in (terminal, pipe):
        with LiveProgress(stream, Tally(pages=3, items=7, matched=2)) as progress:
            progress.update()
    assert "3 pages, 7 items, 2 matched" in terminal.getvalue()
    assert pipe.getvalue() == ""


def test_offset_of_a_plain_string_is_kept() -> None:
    """A start with an offset compares in absolute time."""
    later = ItemFilter(starts_after=datetime(2027, 1, 15, 11, 0, tzinfo=timezone(timedelta(0))))
    assert later.matches({"startDateTime": "2027-01-15T11:30:00+01:00"}) is False


def test_table_shows_names_literally_and_ids_whole() -> None:
    """Brackets in a name are not rich markup, and ids are never cut."""
    long_id = "e" * 90 + "@72f988bf-86f1-41af-91ab-2d7cd011db47"
    item = {"id": long_id, "displayName": "[bold]Internal[/bold] kickoff", "status": "draft"}
    stream = io.StringIO()
    sink = TableSink(stream, ListKind.EVENTS)
    sink.add(Listed(ListKind.EVENTS, EventType.WEBINAR, item))
    sink.close(ok=True)
    assert "[bold]Internal[/bold] kickoff" in stream.getvalue()
    assert long_id in stream.getvalue()


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["sessions", "--event-id", ".."], "argument --event-id: must not be '..': "),
        (["events", "--user-id", ""], "argument --user-id: must not be empty: ''"),
        (
            ["registrations", "--event-id", "e", "--session-id", " x"],
            "argument --session-id: ",
        ),
    ],
)
def test_bad_id_flags_say_it_plainly(
    capsys: pytest.CaptureFixture[str], argv: list[str], expected: str
) -> None:
    """An id flag's usage error is our own words (exit 2), never pydantic's `Value error, `."""
    with pytest.raises(SystemExit) as exited:
        main(["list", *argv])
    err = capsys.readouterr().err
    assert exited.value.code == 2
    assert expected in err
    assert "Value error" not in err
