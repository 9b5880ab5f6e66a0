"""Read a Graph answer in either shape Microsoft publishes: the schema's, or the pages' examples.

The metadata says a session is a bare object with `{dateTime, timeZone}` times; the get-session
page's example wraps it in `{"value": {...}}` and writes times as plain strings. Every field
graph-batch uses is read through here, so both shapes give the same values.
"""

from __future__ import annotations

from typing import Any

SESSION_FIELDS = ("subject", "startDateTime", "endDateTime", "joinWebUrl")
"""The session fields a `get-session` row records."""


def single(body: Any) -> dict[str, Any] | None:
    """The one resource an answer carries (unwrapping `{"value": {...}}`); None if none."""
    if not isinstance(body, dict):
        return None
    inner = body.get("value")
    if isinstance(inner, dict) and "id" not in body:
        return inner
    return body


def items(body: Any) -> list[dict[str, Any]] | None:
    """The objects of a collection answer (`{"value": [...]}`); None if it is not one."""
    value = body.get("value") if isinstance(body, dict) else None
    if not isinstance(value, list):
        return None
    return [item for item in value if isinstance(item, dict)]


def text(value: Any) -> str | None:
    """A scalar field as text (None stays None; objects and lists are not text)."""
    if value is None or isinstance(value, dict | list):
        return None
    return str(value)


def time_text(value: Any) -> str | None:
    """A time as written: a `dateTimeTimeZone` object's `dateTime`, or a plain string."""
    if isinstance(value, dict):
        return text(value.get("dateTime"))
    return text(value)


def status(body: Any) -> str | None:
    """The `status` of an event or registration answer, in either shape."""
    found = single(body)
    value = found.get("status") if found is not None else None
    return value if isinstance(value, str) else None


def session_fields(body: Any) -> dict[str, str | None] | None:
    """`subject`, both times and `joinWebUrl` of a session answer; None if it holds none of them.

    An answer without any of these fields is no session (an empty object, an error body).
    """
    session = single(body)
    if session is None or not any(name in session for name in SESSION_FIELDS):
        return None
    return {
        "subject": text(session.get("subject")),
        "startDateTime": time_text(session.get("startDateTime")),
        "endDateTime": time_text(session.get("endDateTime")),
        "joinWebUrl": text(session.get("joinWebUrl")),
    }
