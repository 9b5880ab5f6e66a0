"""The raw-path matcher: each segment decoded on its own, OData alternate keys parsed."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from batch.operations import (
    DOT_SEGMENTS,
    CancelRegistration,
    GetSession,
    RemoveSession,
    segment,
)
from batch.sandbox.routing import (
    BadKeyError,
    RegistrationKey,
    Resource,
    UnknownSegmentError,
    match,
    parse_odata_string,
    split_raw_path,
)

ID_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Cf", "Zl", "Zp")),
    min_size=1,
    max_size=40,
).filter(lambda text: text.strip() not in DOT_SEGMENTS)
"""Any id validation accepts (no control, format or separator characters, no dot segment)."""


@pytest.mark.parametrize(
    ("raw", "segments"),
    [
        ("/a/b%2Fc/d", ["a", "b/c", "d"]),
        ("/a/%40%27%2B?x=%2F", ["a", "@'+"]),
        ("//a//b/", ["a", "b"]),
        ("/a/b#frag", ["a", "b"]),
    ],
)
def test_split_raw_path(raw: str, segments: list[str]) -> None:
    """Split on `/` first, then decode, so `%2F` stays inside its segment."""
    assert split_raw_path(raw) == segments


@pytest.mark.parametrize(
    ("literal", "value"),
    [("'a'", "a"), ("''''", "'"), ("'o''neil@x.com'", "o'neil@x.com"), ("''", "")],
)
def test_odata_string_literals(literal: str, value: str) -> None:
    """`''` inside an OData literal is one quote."""
    assert parse_odata_string(literal) == value


@pytest.mark.parametrize("literal", ["a", "'a", "'a'b'", "'''", "'"])
def test_bad_odata_string_literals(literal: str) -> None:
    """Unquoted or unescaped literals are refused."""
    with pytest.raises(BadKeyError):
        parse_odata_string(literal)


@given(ID_TEXT, ID_TEXT, st.emails())
def test_every_operation_path_routes_back_to_its_ids(
    event_id: str, session_id: str, email: str
) -> None:
    """Whatever the ids contain, an operation's path matches its resource and exact ids."""
    remove = RemoveSession(
        event_id=event_id.strip() or "e",
        registration_email=email,
        session_id=session_id.strip() or "s",
    )
    route = match(split_raw_path(remove.path))
    assert route.resource is Resource.SESSION_REF
    assert (route.event_id, route.session_id) == (remove.event_id, remove.session_id)
    assert route.registration == RegistrationKey("email", str(remove.registration_email))


@pytest.mark.parametrize(
    ("path", "resource"),
    [
        (GetSession(event_id="e", session_id="a/b").path, Resource.SESSION),
        (CancelRegistration(event_id="e", registration_id="r").path, Resource.CANCEL_REGISTRATION),
        (
            "/solutions/virtualEvents/townhalls/e/registrations/r/sessions",
            Resource.REGISTRATION_SESSIONS,
        ),
        ("/SOLUTIONS/virtualevents/Webinars/e/Cancel", Resource.CANCEL_EVENT),
        ("/solutions/virtualEvents/webinars/e/registrations", Resource.REGISTRATIONS),
        ("/solutions/virtualEvents/webinars/e/sessions", Resource.EVENT_SESSIONS),
    ],
)
def test_resources(path: str, resource: Resource) -> None:
    """Known shapes match (segment names case-insensitively)."""
    assert match(split_raw_path(path)).resource is resource


@pytest.mark.parametrize(
    ("path", "unknown"),
    [
        ("/solutions", ""),
        ("/solutions/virtualEvents", "virtualEvents"),
        ("/solutions/virtualEvents/webinars", "webinars"),
        (f"/solutions/virtualEvents/webinars/{segment('a/b')}/x", "x"),
        ("/solutions/virtualEvents/webinars/e/sessions/s/x", "x"),
        ("/solutions/virtualEvents/webinars/e/registrations/r/cancel/x", "x"),
    ],
)
def test_unknown_segments(path: str, unknown: str) -> None:
    """Paths Graph does not know name the offending segment."""
    with pytest.raises(UnknownSegmentError) as caught:
        match(split_raw_path(path))
    assert caught.value.segment == unknown
