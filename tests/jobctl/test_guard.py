"""The destructive cap counts exactly the destructive ops and refuses only above the limit."""

from __future__ import annotations

import pytest

from batch.jobctl.guard import DESTRUCTIVE_OPS, check_max_destructive, is_destructive


def test_destructive_ops_come_from_the_models() -> None:
    """Cancels and removals are destructive; reading a session is not."""
    assert {"cancel", "remove-session", "cancel-registration"} == DESTRUCTIVE_OPS
    assert not is_destructive("get-session")
    assert is_destructive("some-future-op")


@pytest.mark.parametrize(
    ("counts", "limit", "refused"),
    [
        ({"cancel": 5}, None, False),
        ({"cancel": 5}, 5, False),
        ({"cancel": 6}, 5, True),
        ({"cancel": 3, "remove-session": 2, "cancel-registration": 1}, 5, True),
        ({"cancel": 3, "remove-session": 2}, 5, False),
        ({"get-session": 10_000}, 0, False),
        ({"get-session": 10_000, "cancel": 1}, 0, True),
        ({}, 0, False),
        ({"cancel": 0}, 0, False),
        ({"mystery": 1}, 0, True),
    ],
)
def test_refuses_only_above_the_limit(
    counts: dict[str, int], limit: int | None, refused: bool
) -> None:
    """Only destructive rows count, and only a total above the limit is refused."""
    assert (check_max_destructive(counts, limit) is not None) == refused


def test_message_names_total_breakdown_and_limit() -> None:
    """The refusal says how many of which op, and the limit to raise."""
    message = check_max_destructive(
        {"cancel": 4000, "cancel-registration": 12, "get-session": 9}, 1000
    )
    assert message == (
        "refusing to run: 4,012 destructive operations (cancel: 4,000, cancel-registration: 12) "
        "exceed --max-destructive 1,000; raise the limit or split the manifest"
    )


def test_negative_limit_is_a_programming_error() -> None:
    """A negative cap never reaches the check: the CLI must reject it first."""
    with pytest.raises(ValueError, match="0 or more"):
        check_max_destructive({"cancel": 1}, -1)
