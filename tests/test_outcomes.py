"""Outcome classification and verification reading, table-driven."""

from __future__ import annotations

import pytest

from batch.audit.records import Outcome
from batch.http.client import GraphResponse
from batch.operations import Cancel, CancelRegistration, RemoveSession, RequestClass
from batch.readback import (
    Reach,
    Verified,
    WriteOperation,
    read_existence,
    read_verification,
    verification_read,
)
from batch.run.outcomes import AttemptResult, classify, needs_verification

W, R = RequestClass.WRITE, RequestClass.READ
A = AttemptResult
DROP = A(None, "disconnected")


@pytest.mark.parametrize(
    ("klass", "attempts", "verified", "needs", "outcome", "reason"),
    [
        (W, [A(204)], None, False, Outcome.SUCCEEDED, None),
        (W, [DROP, A(204)], None, False, Outcome.SUCCEEDED, None),
        (W, [A(503), A(204)], None, False, Outcome.SUCCEEDED, None),
        # Second cancel after a dropped first one: 400/409 with the event canceled.
        (W, [DROP, A(409)], Verified.DONE, True, Outcome.ALREADY_DONE, "verified"),
        (W, [A(504), A(400)], Verified.DONE, True, Outcome.ALREADY_DONE, "verified"),
        # First-attempt 400/409/404: verify too.
        (W, [A(409)], Verified.DONE, True, Outcome.ALREADY_DONE, "verified"),
        (W, [A(400)], Verified.NOT_DONE, True, Outcome.FAILED, "rejected"),
        (W, [A(404)], Verified.MISSING, True, Outcome.FAILED, "rejected"),
        (W, [A(404)], Verified.UNKNOWN, True, Outcome.FAILED, "rejected; unverified"),
        # Every attempt dropped, but the change is in place.
        (W, [DROP, DROP, DROP], Verified.DONE, True, Outcome.ALREADY_DONE, "verified"),
        (W, [DROP, DROP], Verified.NOT_DONE, True, Outcome.FAILED, "retries-exhausted"),
        (W, [A(429), A(429)], None, False, Outcome.FAILED, "retries-exhausted"),
        # Refusals are never "verified away".
        (W, [A(403)], Verified.DONE, False, Outcome.FAILED, "refused"),
        (W, [DROP, A(401)], None, False, Outcome.FAILED, "refused"),
        (W, [A(422)], None, False, Outcome.FAILED, "rejected"),
        # A 2xx carrying a Graph error body is ambiguous: read back, never `succeeded`.
        (W, [A(200, "Forbidden")], Verified.DONE, True, Outcome.ALREADY_DONE, "verified"),
        (W, [A(200, "Forbidden")], Verified.NOT_DONE, True, Outcome.FAILED, "rejected"),
        # The link's 404 after a re-send, both ends read as existing.
        (
            W,
            [DROP, A(404, "NotFound")],
            Verified.DONE_BY_RESEND,
            True,
            Outcome.ALREADY_DONE,
            "verified-by-resend",
        ),
        # Reads are never verified.
        (R, [A(200)], None, False, Outcome.SUCCEEDED, None),
        (R, [A(404)], None, False, Outcome.FAILED, "rejected"),
        (R, [DROP, DROP], None, False, Outcome.FAILED, "retries-exhausted"),
        (W, [], None, False, Outcome.FAILED, "not-sent"),
    ],
)
def test_classify(  # noqa: PLR0917 - one parameter per table column
    klass: RequestClass,
    attempts: list[AttemptResult],
    verified: Verified | None,
    needs: bool,
    outcome: Outcome,
    reason: str | None,
) -> None:
    """Each history ends in the documented outcome; verification only where it matters."""
    assert needs_verification(klass, attempts) is needs
    verdict = classify(klass, attempts, verified)
    assert (verdict.outcome, verdict.reason) == (outcome, reason)


CANCEL = Cancel(event_id="e1")
REMOVE = RemoveSession(event_id="e1", registration_id="r1", session_id="s1")
CANCEL_REG = CancelRegistration(event_id="e1", registration_email="a@example.com")


@pytest.mark.parametrize(
    ("op", "path"),
    [
        (CANCEL, "/solutions/virtualEvents/webinars/e1"),
        (REMOVE, "/solutions/virtualEvents/webinars/e1/registrations/r1/sessions"),
        (CANCEL_REG, "/solutions/virtualEvents/webinars/e1/registrations(email='a%40example.com')"),
    ],
)
def test_verification_path(op: WriteOperation, path: str) -> None:
    """Each write is verified by reading the resource its change shows on."""
    assert verification_read(op)[1] == path


@pytest.mark.parametrize(
    ("op", "response", "verified"),
    [
        (CANCEL, GraphResponse(200, body={"status": "canceled"}), Verified.DONE),
        (CANCEL, GraphResponse(200, body={"status": "published"}), Verified.NOT_DONE),
        (CANCEL, GraphResponse(404), Verified.MISSING),
        (CANCEL, GraphResponse(200, body=None), Verified.UNKNOWN),
        (CANCEL, GraphResponse(503), Verified.UNKNOWN),
        (CANCEL, None, Verified.UNKNOWN),
        (CANCEL_REG, GraphResponse(200, body={"status": "canceled"}), Verified.DONE),
        (CANCEL_REG, GraphResponse(200, body={"status": "registered"}), Verified.NOT_DONE),
        (REMOVE, GraphResponse(200, body={"value": [{"id": "s2"}]}), Verified.DONE),
        (REMOVE, GraphResponse(200, body={"value": []}), Verified.DONE),
        (REMOVE, GraphResponse(200, body={"value": [{"id": "s1"}]}), Verified.NOT_DONE),
        (
            REMOVE,
            GraphResponse(200, body={"value": [], "@odata.nextLink": "x"}),
            Verified.UNKNOWN,
        ),
        (REMOVE, GraphResponse(200, body={"value": "x"}), Verified.UNKNOWN),
        (CANCEL, GraphResponse(200, body={"value": {"status": "canceled"}}), Verified.DONE),
        (REMOVE, GraphResponse(404), Verified.MISSING),
    ],
)
def test_read_verification(
    op: WriteOperation, response: GraphResponse | None, verified: Verified
) -> None:
    """A read-back answer maps to done / not done / missing / unknown."""
    assert read_verification(op, response) is verified


@pytest.mark.parametrize(
    ("statuses", "verified"),
    [
        ([200, 200], Verified.DONE_BY_RESEND),
        ([404, 200], Verified.MISSING),
        ([200, 404], Verified.MISSING),
        ([200, 403], Verified.UNKNOWN),
        ([None, 200], Verified.UNKNOWN),
    ],
)
def test_read_existence(statuses: list[int | None], verified: Verified) -> None:
    """After the DELETE's 404: both ends exist -> the link is gone; one missing -> not found."""
    assert read_existence(statuses) is verified


def test_reach_remembers_refusals_only() -> None:
    """403 and unsupported answers mark a read kind out of reach; other answers do not."""
    reach = Reach()
    assert not reach.note("registration-sessions", 200)
    assert not reach.note("registration-sessions", 404)
    assert not reach.refused("registration-sessions")
    assert reach.note("registration-sessions", 403)
    assert reach.refused("registration-sessions")
    assert not reach.refused("registration-by-email-sessions")
    assert reach.note("registration-by-email-sessions", 400)
