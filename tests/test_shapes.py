"""Both answer shapes Microsoft publishes: the sandbox serves each, the client reads each."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest

from batch.cli import build_parser
from batch.cli.sandbox_cmd import build_config
from batch.http import shapes
from batch.operations import GetSession
from tests.conftest import SandboxFactory
from tests.sandbox_helpers import SESSION_1, WEBINAR, call

SCHEMA_SESSION = {
    "id": "s1",
    "subject": "Keynote",
    "startDateTime": {"dateTime": "2026-12-01T15:00:00.0000000", "timeZone": "UTC"},
    "endDateTime": {"dateTime": "2026-12-01T16:00:00.0000000", "timeZone": "UTC"},
    "joinWebUrl": "https://teams.example/j",
}
NOON = datetime(2027, 1, 15, 12, 0, tzinfo=UTC)
EXAMPLE_SESSION = {
    "value": {
        "id": "s1",
        "subject": "Keynote",
        "startDateTime": "2026-12-01T15:00:00Z",
        "endDateTime": "2026-12-01T16:00:00Z",
        "joinWebUrl": "https://teams.example/j",
    }
}


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        (SCHEMA_SESSION, ("Keynote", "2026-12-01T15:00:00Z", "2026-12-01T16:00:00Z")),
        (EXAMPLE_SESSION, ("Keynote", "2026-12-01T15:00:00Z", "2026-12-01T16:00:00Z")),
    ],
)
def test_session_fields_in_both_shapes(body: dict[str, Any], fields: tuple[str, ...]) -> None:
    """Subject, both times and the join URL come out of either shape."""
    read = shapes.session_fields(body)
    assert read is not None
    assert (read["subject"], read["startDateTime"], read["endDateTime"]) == fields
    assert read["joinWebUrl"] == "https://teams.example/j"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"dateTime": "2027-01-15T12:00:00.0000000", "timeZone": "UTC"}, NOON),
        ({"dateTime": "2027-01-15T13:00:00", "timeZone": "Europe/Paris"}, NOON),
        ({"dateTime": "2027-01-15T12:00:00Z"}, NOON),
        ({"dateTime": "2027-01-15T04:00:00.0000000", "timeZone": "Pacific Standard Time"}, NOON),
        ({"dateTime": "2027-01-15T12:00:00", "timeZone": "tzone://Microsoft/Utc"}, NOON),
        ("2027-01-15T12:00:00.0000000Z", NOON),
        ("2027-01-15T12:00:00Z", NOON),
        ("2027-01-15T07:00:00-05:00", NOON),
        ("2027-01-15T12:00:00", NOON),
        ({"dateTime": "2027-01-15T12:00:00", "timeZone": "Not/AZone"}, None),
        ({"timeZone": "UTC"}, None),
        ("soon", None),
        (None, None),
        (1737000000, None),
    ],
)
def test_graph_time_reads_both_shapes(value: object, expected: datetime | None) -> None:
    """Objects with a zone and plain strings with or without offsets; anything else is None."""
    assert shapes.graph_time(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (
            {"dateTime": "2027-01-15T04:00:00.0000000", "timeZone": "Pacific Standard Time"},
            "2027-01-15T12:00:00Z",
        ),
        (
            {"dateTime": "2027-07-15T05:00:00", "timeZone": "Pacific Standard Time"},
            "2027-07-15T12:00:00Z",
        ),
        ({"dateTime": "2027-01-15T13:00:00", "timeZone": "Europe/Paris"}, "2027-01-15T12:00:00Z"),
        (
            {"dateTime": "2027-01-15T17:30:00", "timeZone": "India Standard Time"},
            "2027-01-15T12:00:00Z",
        ),
        ({"dateTime": "2027-01-15T12:00:00.0000000", "timeZone": "UTC"}, "2027-01-15T12:00:00Z"),
        ("2027-01-15T07:00:00-05:00", "2027-01-15T12:00:00Z"),
        ("2027-01-15T13:00:00+01:00", "2027-01-15T12:00:00Z"),
        ("2027-01-15T12:00:00Z", "2027-01-15T12:00:00Z"),
        ("2027-01-15T12:00:00", "2027-01-15T12:00:00Z"),
        ({"dateTime": "2027-01-15T12:00:00", "timeZone": "Not/AZone"}, "2027-01-15T12:00:00"),
        ("soon", "soon"),
        (None, None),
    ],
)
def test_time_text_is_utc_with_z(value: object, expected: str | None) -> None:
    """Any zone (Windows or IANA) or offset becomes UTC `...Z`; a naive time is UTC; a time
    that cannot be read is kept as written rather than dropped."""
    assert shapes.time_text(value) == expected


def test_session_fields_convert_a_zoned_session_to_utc() -> None:
    """A session answered in the organizer's zone is recorded in UTC, not as naive local time."""
    zoned = {
        "id": "s1",
        "subject": "Keynote",
        "startDateTime": {"dateTime": "2026-12-01T07:00:00", "timeZone": "Pacific Standard Time"},
        "endDateTime": {"dateTime": "2026-12-01T17:00:00", "timeZone": "Europe/Paris"},
    }
    read = shapes.session_fields(zoned)
    assert read is not None
    assert (read["startDateTime"], read["endDateTime"]) == (
        "2026-12-01T15:00:00Z",
        "2026-12-01T16:00:00Z",
    )


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (SCHEMA_SESSION, None),
        (EXAMPLE_SESSION, None),
        ({"subject": "Keynote"}, None),
        ({**SCHEMA_SESSION, "id": "s2"}, "holds session 's2', not 's1'"),
        ({"value": {**SCHEMA_SESSION, "id": "s2"}}, "holds session 's2', not 's1'"),
        ({"id": "s1"}, "holds no session"),
        ({}, "holds no session"),
        ({"error": {"code": "Forbidden"}}, "holds no session"),
    ],
)
def test_not_the_session(body: Any, problem: str | None) -> None:
    """An answer is session `s1` only if it holds session fields and no other session's id."""
    assert shapes.not_the_session(body, "s1") == problem


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"id": "e", "status": "canceled"}, "canceled"),
        ({"value": {"id": "e", "status": "canceled"}}, "canceled"),
        ({"id": "e", "status": 3}, None),
        ({"value": [{"status": "canceled"}]}, None),
        ({"error": {"code": "Forbidden"}}, None),
        (None, None),
    ],
)
def test_status_in_both_shapes(body: Any, status: str | None) -> None:
    """An event's or registration's `status`, bare or value-wrapped; nothing else passes."""
    assert shapes.status(body) == status


@pytest.mark.parametrize("body", [{}, {"error": {"code": "x"}}, {"value": []}, [], None, ""])
def test_an_answer_without_a_session_has_no_session_fields(body: Any) -> None:
    """An empty object, an error body or a list is no session (the row must not succeed)."""
    assert shapes.session_fields(body) is None


def test_lists_read_their_objects() -> None:
    """`{"value": [...]}` gives its objects; anything else is not a list answer."""
    assert shapes.items({"value": [{"id": "a"}, "junk"]}) == [{"id": "a"}]
    assert shapes.items({"value": {"id": "a"}}) is None


@pytest.mark.parametrize("mode", ["schema", "example"])
async def test_sandbox_serves_each_shape(
    sandbox_factory: SandboxFactory, http: aiohttp.ClientSession, mode: str
) -> None:
    """`--shapes example` wraps get-session in `value` with plain-string times; `schema` does
    not; the client reads the same fields from both."""
    sandbox = await sandbox_factory(shapes=mode)
    reply = await call(
        http, sandbox, "GET", GetSession(event_id=WEBINAR, session_id=SESSION_1).path
    )
    assert reply.status == 200
    wrapped = "value" in reply.json
    assert wrapped == (mode == "example")
    session = reply.json["value"] if wrapped else reply.json
    assert isinstance(session["startDateTime"], str) == (mode == "example")
    read = shapes.session_fields(reply.json)
    assert read is not None
    assert read["subject"] == "Keynote"
    assert read["startDateTime"]
    assert read["startDateTime"].startswith("2027-01-15T15:00:00")


def test_sandbox_flags_choose_permissions_and_shapes() -> None:
    """`--permissions` and `--shapes` reach the sandbox config; the defaults are published and
    schema."""
    parser = build_parser()
    default = build_config(parser.parse_args(["sandbox", "--world", "w.yaml"]))
    assert (default.permissions, default.shapes) == ("published", "schema")
    argv = ["sandbox", "--world", "w.yaml", "--permissions", "permissive", "--shapes", "example"]
    chosen = build_config(parser.parse_args(argv))
    assert (chosen.permissions, chosen.shapes) == ("permissive", "example")
