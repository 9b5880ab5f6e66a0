"""Operations build exactly one intended request whatever their ids contain."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from batch.manifest.convert import build_operation
from batch.operations import (
    DOT_SEGMENTS,
    Cancel,
    GetSession,
    InvalidOperationError,
    RemoveSession,
)


@pytest.mark.parametrize(
    ("fields", "method", "path"),
    [
        (
            {"op": "cancel", "event_id": "e1"},
            "POST",
            "/solutions/virtualEvents/webinars/e1/cancel",
        ),
        (
            {"op": "cancel", "event_type": "townhall", "event_id": "g@t"},
            "POST",
            "/solutions/virtualEvents/townhalls/g%40t/cancel",
        ),
        (
            {"op": "remove-session", "event_id": "e", "registration_id": "r", "session_id": "s"},
            "DELETE",
            "/solutions/virtualEvents/webinars/e/registrations/r/sessions/s/$ref",
        ),
        (
            {
                "op": "remove-session",
                "event_id": "e",
                "registration_email": "o'neil@contoso.com",
                "session_id": "s",
            },
            "DELETE",
            "/solutions/virtualEvents/webinars/e/registrations(email='o%27%27neil%40contoso.com')"
            "/sessions/s/$ref",
        ),
        (
            {"op": "cancel-registration", "event_id": "e", "registration_id": "r"},
            "POST",
            "/solutions/virtualEvents/webinars/e/registrations/r/cancel",
        ),
        (
            {"op": "get-session", "event_type": "townhall", "event_id": "e", "session_id": "s"},
            "GET",
            "/solutions/virtualEvents/townhalls/e/sessions/s",
        ),
    ],
)
def test_each_op_knows_its_request(fields: dict[str, str], method: str, path: str) -> None:
    """Every op maps to its documented Graph method and path."""
    operation = build_operation(fields)
    assert not isinstance(operation, tuple), operation
    assert operation.method == method
    assert operation.path == path


@pytest.mark.parametrize(
    "bad_id", ["", " padded", "padded ", "tab\there", "nul\x00", "x" * 257, "del\x7f"]
)
def test_bad_ids_are_rejected(bad_id: str) -> None:
    """Empty, padded, control-character and over-long ids never become a request."""
    with pytest.raises(InvalidOperationError):
        Cancel(event_id=bad_id)


@pytest.mark.parametrize(
    "registration",
    [{}, {"registration_id": "r", "registration_email": "a@contoso.com"}],
)
def test_registration_needs_exactly_one_key(registration: dict[str, Any]) -> None:
    """A registration is addressed by id or by email, never both or neither."""
    with pytest.raises(InvalidOperationError):
        RemoveSession(event_id="e", session_id="s", **registration)


_IDS = st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Cf", "Zl", "Zp")),
    min_size=1,
    max_size=64,
).filter(lambda text: text == text.strip() and text not in DOT_SEGMENTS)


@given(event_id=_IDS, session_id=_IDS)
def test_ids_cannot_steer_the_path(event_id: str, session_id: str) -> None:
    """Whatever an id holds it stays one segment: the path keeps its shape."""
    path = GetSession(event_id=event_id, session_id=session_id).path
    segments = path.split("/")
    assert segments[:4] == ["", "solutions", "virtualEvents", "webinars"]
    assert segments[5] == "sessions"
    assert len(segments) == 7
    assert unquote(segments[4]) == event_id
    assert unquote(segments[6]) == session_id
    assert "?" not in path
    assert "#" not in path


def test_key_ignores_email_case() -> None:
    """The same registration email in another case is the same target."""
    first = RemoveSession(event_id="e", session_id="s", registration_email="A@Contoso.com")
    second = RemoveSession(event_id="e", session_id="s", registration_email="a@contoso.com")
    assert first.key == second.key


@pytest.mark.parametrize(
    "bad",
    ["ev\u202e1", "ev\u200b1", "ev\u2028x", "\u2066ev", "ev\ufeff", "e\x85x"],
    ids=["rlo", "zero-width", "line-separator", "isolate", "bom", "nel"],
)
def test_ids_with_invisible_characters_are_refused(bad: str) -> None:
    """An id that would print as something it is not (bidi, zero-width, separators) is invalid."""
    with pytest.raises(InvalidOperationError, match=r"control|invisible"):
        Cancel(event_id=bad)
