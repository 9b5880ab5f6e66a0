"""The pure core: which read each op needs, and every (op, answer) -> classification."""

from __future__ import annotations

from typing import Any

import pytest

from batch.operations import Cancel, CancelRegistration, EventType, GetSession, RemoveSession
from batch.planning.classify import (
    AnyOperation,
    Classification,
    classify,
    existence_verdict,
    read_path,
)
from batch.planning.reader import ReadResult

W = Classification.WILL_APPLY
D = Classification.ALREADY_DONE
N = Classification.NOT_FOUND
F = Classification.FORBIDDEN
E = Classification.ERROR

CANCEL = Cancel(event_id="e@t")
REMOVE = RemoveSession(event_id="e@t", registration_id="r/1", session_id="s1")
CANCEL_REG = CancelRegistration(event_id="e@t", registration_email="O'Neil@contoso.com")
GET = GetSession(event_type=EventType.TOWNHALL, event_id="e@t", session_id="s 1")


def ok(body: Any) -> ReadResult:
    """A 200 answer with `body`."""
    return ReadResult(200, body)


@pytest.mark.parametrize(
    ("op", "path"),
    [
        (CANCEL, "/solutions/virtualEvents/webinars/e%40t"),
        (REMOVE, "/solutions/virtualEvents/webinars/e%40t/registrations/r%2F1/sessions"),
        (
            CANCEL_REG,
            "/solutions/virtualEvents/webinars/e%40t/registrations(email='O%27%27Neil%40contoso.com')",
        ),
        (GET, "/solutions/virtualEvents/townhalls/e%40t/sessions/s%201"),
    ],
)
def test_read_path(op: AnyOperation, path: str) -> None:
    """Each op reads exactly the resource that decides it, every id percent-encoded."""
    assert read_path(op) == path


@pytest.mark.parametrize(
    ("op", "result", "expected", "code"),
    [
        (CANCEL, ok({"status": "published"}), W, None),
        (CANCEL, ok({"status": "draft"}), W, None),
        (CANCEL, ok({"status": "canceled"}), D, None),
        (CANCEL, ok({"status": "Cancelled"}), D, None),
        (CANCEL, ReadResult(404, None, "NotFound"), N, "NotFound"),
        (CANCEL, ReadResult(403, None, "Forbidden"), F, "Forbidden"),
        (
            CANCEL,
            ReadResult(401, None, "InvalidAuthenticationToken"),
            F,
            "InvalidAuthenticationToken",
        ),
        (CANCEL, ok({"id": "e@t"}), E, "malformed-response"),
        (CANCEL, ok({"status": 3}), E, "malformed-response"),
        (REMOVE, ok({"value": [{"id": "s0"}, {"id": "s1"}]}), W, None),
        (REMOVE, ok({"value": [{"id": "s0"}]}), D, None),
        (REMOVE, ok({"value": []}), D, None),
        (REMOVE, ok({"value": [{"id": "s0"}], "@odata.nextLink": "https://x/next"}), W, None),
        (REMOVE, ok({"value": "s1"}), E, "malformed-response"),
        (REMOVE, ReadResult(404, None, "itemNotFound"), N, "itemNotFound"),
        (CANCEL_REG, ok({"status": "registered"}), W, None),
        (CANCEL_REG, ok({"status": "waitlisted"}), W, None),
        (CANCEL_REG, ok({"status": "canceled"}), D, None),
        (CANCEL_REG, ReadResult(404), N, None),
        (GET, ok({"id": "s 1"}), W, None),
        (GET, ReadResult(404, None, "NotFound"), N, "NotFound"),
        (GET, ReadResult(403), F, None),
        (GET, ReadResult(503, None, "ServiceUnavailable"), E, "ServiceUnavailable"),
        (GET, ReadResult(500), E, "http-500"),
        (GET, ReadResult(400, None, "BadRequest"), E, "BadRequest"),
        (GET, ReadResult(None, None, "timeout"), E, "timeout"),
        (GET, ReadResult(200, None, "invalid-json"), E, "invalid-json"),
        (GET, ReadResult(200, None), E, "malformed-response"),
    ],
)
def test_classify(
    op: AnyOperation, result: ReadResult, expected: Classification, code: str | None
) -> None:
    """Every answer maps to the documented classification and error code."""
    row = classify(7, 12, op, result)
    assert (row.classification, row.error_code) == (expected, code)
    assert (row.index, row.line, row.op, row.key, row.status) == (
        7,
        12,
        op.op,
        op.key,
        result.status,
    )
    assert row.detail


def test_classify_keeps_target() -> None:
    """The row names its target exactly as the audit log would."""
    assert classify(0, 2, REMOVE, ok({"value": []})).target == REMOVE.target


@pytest.mark.parametrize(
    ("results", "expected", "code"),
    [
        ([ok({"id": "r"}), ok({"id": "s"})], Classification.UNKNOWN, None),
        ([ReadResult(404, None, "NotFound"), ok({"id": "s"})], N, "NotFound"),
        ([ok({"id": "r"}), ReadResult(404, None, "itemNotFound")], N, "itemNotFound"),
        ([ok({"id": "r"}), ReadResult(403, None, "Forbidden")], F, "Forbidden"),
        ([ReadResult(None, None, "timeout"), ok({"id": "s"})], E, "timeout"),
    ],
)
def test_removal_beyond_the_tokens_reach(
    results: list[ReadResult], expected: Classification, code: str | None
) -> None:
    """From reads of the registration and the session: `unknown` when both exist (the run's
    answer decides), `not-found` when either is missing, never a guess."""
    found = existence_verdict(REMOVE, results)
    assert (found.classification, found.error_code) == (expected, code)
