"""Answers no test sandbox gives but a server might: read neither too kindly nor too thinly.

A tiny stand-in answers get-session with an empty 200, a 204, an empty object or a 100 MB
body, and answers cancel 200 with a Graph error body (once having applied it, once not).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from batch.exit_codes import ExitCode
from tests.run_helpers import run

BASE = "/v1.0/solutions/virtualEvents/webinars/{event}"
SESSION = {"id": "ok", "subject": "Keynote", "joinWebUrl": "https://teams.example/j"}
ERROR_BODY = {"error": {"code": "Forbidden", "message": "Only the organizer can cancel."}}
ODD_ERROR_BODIES = {
    "refused-without-code": {"error": {"message": "Only the organizer can cancel."}},
    "refused-as-text": {"error": "Forbidden"},
}
"""Error bodies not in Graph's shape, each answered 200 to a cancel that was not applied."""
JSON = "application/json"
SESSION_ANSWERS: dict[str, tuple[int, str, Any]] = {
    "empty": (200, JSON, ""),
    "nocontent": (204, JSON, ""),
    "notjson": (200, "text/html", "<html>ok</html>"),
    "emptyobject": (200, JSON, {}),
    "another": (200, JSON, {**SESSION, "id": "someone-else"}),
    "refused-in-body": (200, JSON, ERROR_BODY),
    **{name: (200, JSON, body) for name, body in ODD_ERROR_BODIES.items()},
    "zoned": (
        200,
        JSON,
        {
            **SESSION,
            "id": "zoned",
            "startDateTime": {
                "dateTime": "2026-12-01T07:00:00",
                "timeZone": "Pacific Standard Time",
            },
            "endDateTime": "2026-12-01T17:00:00+01:00",
        },
    ),
}
"""`session id -> (status, content type, body)`: odd 2xx answers to get-session."""
HUGE_CHUNK = b" " * (1024 * 1024)


class Answers:
    """The stand-in's state: event statuses and how many requests each path got."""

    def __init__(self) -> None:
        self.status = dict.fromkeys(
            ["plain", "refused-in-body", "applied", "garbled", *ODD_ERROR_BODIES], "published"
        )
        self.hits: dict[str, int] = {}
        self.linked = {"refused-in-body": True, "applied": True}
        """Whether each registration still holds session `ok`."""

    def app(self) -> web.Application:
        """Routes for an event, its cancel and its sessions."""
        app = web.Application()
        app.router.add_get(BASE, self.event)
        app.router.add_post(BASE + "/cancel", self.cancel)
        app.router.add_get(BASE + "/sessions/{session}", self.session)
        registration = BASE + "/registrations/{registration}"
        app.router.add_get(registration, self.registration)
        app.router.add_get(registration + "/sessions", self.forbidden)
        app.router.add_delete(registration + "/sessions/{session}/$ref", self.unlink)
        return app

    async def registration(self, request: web.Request) -> web.Response:
        """Every registration exists."""
        return web.json_response({"id": request.match_info["registration"], "status": "x"})

    async def forbidden(self, request: web.Request) -> web.Response:
        """A registration's sessions list: out of a delegated token's reach, as published."""
        return web.json_response({"error": {"code": "Forbidden", "message": "no"}}, status=403)

    async def unlink(self, request: web.Request) -> web.Response:
        """200 + error body; `applied` really unlinks first, then 404s as the link is gone."""
        registration = request.match_info["registration"]
        self.hits[f"unlink:{registration}"] = self.hits.get(f"unlink:{registration}", 0) + 1
        if registration == "applied" and not self.linked[registration]:
            return web.json_response({"error": {"code": "NotFound", "message": "no"}}, status=404)
        if registration == "applied":
            self.linked[registration] = False
        return web.json_response(ERROR_BODY)

    async def event(self, request: web.Request) -> web.Response:
        """The event with its current status."""
        event = request.match_info["event"]
        return web.json_response({"id": event, "status": self.status[event]})

    async def cancel(self, request: web.Request) -> web.Response:
        """204, or 200 with an error body (`applied` really cancels first)."""
        event = request.match_info["event"]
        self.hits[event] = self.hits.get(event, 0) + 1
        if event == "refused-in-body":
            return web.json_response(ERROR_BODY)
        if event == "garbled":
            headers = {"request-id": "req-garbled"}
            return web.Response(text="<html>ok</html>", content_type="text/html", headers=headers)
        if event in ODD_ERROR_BODIES:
            return web.json_response(ODD_ERROR_BODIES[event])
        self.status[event] = "canceled"
        return web.json_response(ERROR_BODY) if event == "applied" else web.Response(status=204)

    async def session(self, request: web.Request) -> web.StreamResponse:
        """A session, or one of the 2xx answers that hold none (each with a `request-id`)."""
        session = request.match_info["session"]
        self.hits[session] = self.hits.get(session, 0) + 1
        headers = {"request-id": f"req-{session}"}
        if session == "huge":
            return await _huge(request, headers)
        status, content_type, body = SESSION_ANSWERS.get(session, (200, JSON, SESSION))
        text = body if isinstance(body, str) else json.dumps(body)
        return web.Response(status=status, text=text, content_type=content_type, headers=headers)


async def _huge(request: web.Request, headers: dict[str, str]) -> web.StreamResponse:
    """100 MiB of JSON-ish bytes, streamed until the client hangs up."""
    response = web.StreamResponse(headers={"Content-Type": "application/json", **headers})
    response.enable_chunked_encoding()
    await response.prepare(request)
    try:
        for _ in range(100):
            await response.write(HUGE_CHUNK)
    except ConnectionError:
        pass  # The client stopped reading: exactly what it should do.
    return response


@pytest.fixture
async def served() -> AsyncIterator[tuple[Answers, str]]:
    """The stand-in on 127.0.0.1 and its base URL."""
    answers = Answers()
    async with TestServer(answers.app(), host="127.0.0.1") as server:
        yield answers, str(server.make_url("")).rstrip("/")


def _row(op: str, event: str, **fields: str) -> dict[str, str]:
    return {"op": op, "event_id": event, **fields}


@pytest.mark.parametrize(
    ("session", "expected"),
    [
        ("empty", (200, "empty-body", "HTTP 200 without a JSON object body")),
        ("nocontent", (204, "empty-body", "HTTP 204 without a JSON object body")),
        ("notjson", (200, "invalid-json", "HTTP 200 without a JSON object body")),
        ("emptyobject", (200, "not-a-session", "HTTP 200 holds no session")),
        ("another", (200, "not-a-session", "HTTP 200 holds session 'someone-else', not 'another'")),
        ("huge", (200, "too-large", "HTTP 200 body larger than 4 MiB")),
        ("refused-in-body", (200, "Forbidden", "HTTP 200 with an error body: Only the organizer")),
        ("refused-without-code", (200, "error-body", "HTTP 200 with an error body: Only the")),
        ("refused-as-text", (200, "Forbidden", "HTTP 200 with an error body: no message")),
    ],
)
async def test_a_session_answer_without_a_session_is_a_transport_fault(
    served: tuple[Answers, str], tmp_path: Path, session: str, expected: tuple[int, str, str]
) -> None:
    """Every 2xx that is not the session asked for (empty, 204, not JSON, `{}`, another
    session, oversized, a Graph error body) is retried, then the row fails; `op.finished` and
    each `op.attempt` carry the answer's status and request id, the code (Graph's own when the
    body has one) and the message; never `succeeded` with null fields."""
    status, code, message = expected
    answers, url = served
    result = await run([_row("get-session", "plain", session_id=session)], tmp_path, url, "t")
    assert result.code == ExitCode.FAILED
    (finished,) = result.events("op.finished")
    assert (finished["outcome"], finished["reason"], finished["error_code"]) == (
        "failed",
        "retries-exhausted",
        code,
    )
    assert (finished["status"], finished["request_id"]) == (status, f"req-{session}")
    assert finished["error_message"].startswith(message)
    assert finished["attempts"] > 1
    assert answers.hits[session] == finished["attempts"]
    assert finished["subject"] is None
    attempts = result.events("op.attempt")
    assert {(a["status"], a["request_id"], a["error_code"]) for a in attempts} == {
        (status, f"req-{session}", code)
    }


async def test_a_good_session_still_succeeds(served: tuple[Answers, str], tmp_path: Path) -> None:
    """The same stand-in's proper session answer is read in one attempt (the test can fail)."""
    _, url = served
    result = await run([_row("get-session", "plain", session_id="ok")], tmp_path, url, "t")
    assert result.code == ExitCode.OK
    (finished,) = result.events("op.finished")
    assert (finished["outcome"], finished["subject"], finished["attempts"]) == (
        "succeeded",
        "Keynote",
        1,
    )


async def test_a_write_answered_2xx_with_an_error_body_is_read_back(
    served: tuple[Answers, str], tmp_path: Path
) -> None:
    """200 + `{"error": ...}`: the event is read back. Unchanged -> failed with Graph's code;
    changed -> already_done. Neither is `succeeded`, neither is sent twice."""
    answers, url = served
    rows = [_row("cancel", "refused-in-body"), _row("cancel", "applied")]
    result = await run(rows, tmp_path, url, "t")
    assert result.code == ExitCode.FAILED
    outcome = {r["target"]["event_id"]: r for r in result.events("op.finished")}
    refused, applied = outcome["refused-in-body"], outcome["applied"]
    assert (refused["outcome"], refused["reason"], refused["error_code"]) == (
        "failed",
        "rejected",
        "Forbidden",
    )
    assert (applied["outcome"], applied["reason"]) == ("already_done", "verified")
    assert answers.hits == {"refused-in-body": 1, "applied": 1}
    verifies = [a for a in result.events("op.attempt") if a["purpose"] == "verify"]
    assert len(verifies) == 2
    assert answers.status["applied"] == "canceled"
    assert answers.status["refused-in-body"] == "published"


@pytest.mark.parametrize(
    ("event", "code"), [("refused-without-code", "error-body"), ("refused-as-text", "Forbidden")]
)
async def test_an_error_body_in_another_shape_is_no_success(
    served: tuple[Answers, str], tmp_path: Path, event: str, code: str
) -> None:
    """An `error` member without Graph's code, or as plain text, still makes a 2xx ambiguous:
    read back, unchanged, failed."""
    _, url = served
    result = await run([_row("cancel", event)], tmp_path, url, "t")
    assert result.code == ExitCode.FAILED
    (finished,) = result.events("op.finished")
    assert (finished["outcome"], finished["error_code"]) == ("failed", code)


async def test_a_removal_answered_2xx_with_an_error_body_is_settled_by_resending(
    served: tuple[Answers, str], tmp_path: Path
) -> None:
    """The registration's sessions list is out of reach (403): the idempotent DELETE is sent
    once more. 404 + both ends exist -> already_done `verified-by-resend`; the same error
    body again -> failed, not succeeded."""
    answers, url = served
    rows = [
        _row("remove-session", "plain", registration_id=registration, session_id="ok")
        for registration in ("applied", "refused-in-body")
    ]
    result = await run(rows, tmp_path, url, "t")
    assert result.code == ExitCode.FAILED
    outcome = {r["target"]["registration_id"]: r for r in result.events("op.finished")}
    assert (outcome["applied"]["outcome"], outcome["applied"]["reason"]) == (
        "already_done",
        "verified-by-resend",
    )
    assert outcome["refused-in-body"]["outcome"] == "failed"
    assert outcome["refused-in-body"]["error_code"] == "Forbidden"
    assert answers.hits["unlink:applied"] == 2
    assert answers.linked == {"refused-in-body": True, "applied": False}


async def test_a_write_answered_2xx_with_an_unreadable_body_keeps_the_answer_on_record(
    served: tuple[Answers, str], tmp_path: Path
) -> None:
    """A cancel answered 200 with HTML (not applied): read back, failed, and `op.finished`
    names that answer's status, request id, `invalid-json` and the message, not nulls."""
    answers, url = served
    result = await run([_row("cancel", "garbled")], tmp_path, url, "t")
    assert result.code == ExitCode.FAILED
    (finished,) = result.events("op.finished")
    assert finished["outcome"] == "failed"
    assert (finished["status"], finished["request_id"], finished["error_code"]) == (
        200,
        "req-garbled",
        "invalid-json",
    )
    assert finished["error_message"] == "HTTP 200 with an unreadable body"
    assert answers.status["garbled"] == "published"


async def test_a_session_in_another_zone_is_recorded_in_utc(
    served: tuple[Answers, str], tmp_path: Path
) -> None:
    """Times in `Pacific Standard Time` or with an offset are written to the audit log as UTC
    with `Z`, not as the naive local `dateTime`."""
    _, url = served
    result = await run([_row("get-session", "plain", session_id="zoned")], tmp_path, url, "t")
    assert result.code == ExitCode.OK
    (finished,) = result.events("op.finished")
    assert (finished["startDateTime"], finished["endDateTime"]) == (
        "2026-12-01T15:00:00Z",
        "2026-12-01T16:00:00Z",
    )
