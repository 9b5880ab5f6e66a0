"""Read a Graph answer in either shape Microsoft publishes: the schema's, or the pages' examples.

The metadata says a session is a bare object with `{dateTime, timeZone}` times; the get-session
page's example wraps it in `{"value": {...}}` and writes times as plain strings. Every field
graph-batch uses is read through here, so both shapes give the same values.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from batch.http.zones import iana_name

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


def graph_time(value: Any) -> datetime | None:
    """A Graph time as an aware datetime, or None when absent or unreadable.

    Graph's schema uses `{"dateTime": "2027-01-15T15:00:00.0000000", "timeZone": "UTC"}` and
    Microsoft's own examples show plain strings (`"2027-01-15T15:00:00Z"`): both are read. A
    zone is UTC, an IANA name or a common Windows name (`zones.py`); a date-time without offset
    or zone is UTC.
    """
    zone: Any = None
    if isinstance(value, Mapping):
        value, zone = value.get("dateTime"), value.get("timeZone")
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
        name = iana_name(str(zone or "UTC"))
        tz = UTC if name.upper() == "UTC" else ZoneInfo(name)
    except (ValueError, ZoneInfoNotFoundError):
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=tz)


def utc_text(moment: datetime) -> str:
    """`moment` as ISO 8601 UTC with `Z`."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def time_text(value: Any) -> str | None:
    """A time in either shape as ISO 8601 UTC with `Z` (`graph_time` says how it is read).

    A time that cannot be read (an unknown zone, not a date-time) is given as written: the
    object's `dateTime` or the plain string, rather than dropped.
    """
    moment = graph_time(value)
    if moment is not None:
        return utc_text(moment)
    if isinstance(value, Mapping):
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


def not_the_session(body: Any, session_id: str) -> str | None:
    """Why a get-session answer is not session `session_id`; None when it is.

    It must hold at least one session field, and an `id`, when present, must be the one asked
    for: a server that answers with another session's body has not answered this read. (An
    answer without `id` is taken as the session asked for; the pages' examples always carry it.)
    """
    session = single(body)
    if session is None or session_fields(body) is None:
        return "holds no session"
    found = session.get("id")
    if found is not None and str(found) != session_id:
        return f"holds session {text(found)!r}, not {session_id!r}"
    return None
