"""describe_token and check_token_for_ops: what a token is and whether it fits the job."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from batch.auth.base import AccessToken
from batch.auth.describe import TokenInfo, check_token_for_ops, describe_token
from batch.auth.jwt_claims import decode_claims, expiry_from_claims
from tests.auth_fakes import make_jwt

EXP = 1_900_000_000
EXP_AT = datetime.fromtimestamp(EXP, UTC)


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        (
            make_jwt(
                scp="VirtualEvent.ReadWrite User.Read", upn="org@contoso.com", tid="t1", exp=EXP
            ),
            TokenInfo(
                kind="delegated",
                identity="org@contoso.com",
                tenant="t1",
                scopes=("VirtualEvent.ReadWrite", "User.Read"),
                expires_on=EXP_AT,
            ),
        ),
        (
            make_jwt(scp="User.Read", unique_name="live.com#u@x.com", exp=EXP),
            TokenInfo(
                kind="delegated",
                identity="live.com#u@x.com",
                scopes=("User.Read",),
                expires_on=EXP_AT,
            ),
        ),
        (
            make_jwt(
                roles=["VirtualEvent.Read.All"],
                idtyp="app",
                appid="a-1",
                app_displayname="Bulk",
                tid="t2",
                exp=EXP,
            ),
            TokenInfo(
                kind="app-only",
                identity="Bulk (a-1)",
                tenant="t2",
                roles=("VirtualEvent.Read.All",),
                expires_on=EXP_AT,
            ),
        ),
        (
            make_jwt(roles=[], appid="a-2"),
            TokenInfo(kind="app-only", identity="a-2"),
        ),
        ("opaque-token", TokenInfo(kind="unknown")),
        ("a.b.c", TokenInfo(kind="unknown")),
    ],
)
def test_describe_token(token: str, expected: TokenInfo) -> None:
    """Kind, identity, tenant, scopes, roles and expiry come from the JWT claims."""
    assert describe_token(AccessToken(token=token)) == expected


def test_opaque_token_keeps_what_the_source_knew() -> None:
    """An opaque token keeps the mode's kind and the credential's expiry."""
    token = AccessToken(token="opaque", expires_on=EXP_AT, kind="delegated")
    assert describe_token(token) == TokenInfo(kind="delegated", expires_on=EXP_AT)


@pytest.mark.parametrize(
    "payload",
    ["", "not base64!", "eyJub3QganNvbg", "WzEsMl0"],  # "[1,2]": not an object
)
def test_decode_claims_rejects_non_jwts(payload: str) -> None:
    """Anything that is not a JSON-object payload yields no claims instead of an error."""
    assert decode_claims(f"h.{payload}.s") is None


@pytest.mark.parametrize("exp", ["soon", True, None, 10**30])
def test_malformed_exp_is_unknown(exp: object) -> None:
    """A non-numeric or absurd `exp` means unknown expiry."""
    assert expiry_from_claims({"exp": exp}) is None


DELEGATED = TokenInfo(kind="delegated", scopes=("VirtualEvent.ReadWrite",))
DELEGATED_READ = TokenInfo(kind="delegated", scopes=("VirtualEvent.Read",))
APP = TokenInfo(kind="app-only", roles=("VirtualEvent.Read.All",))
UNKNOWN = TokenInfo(kind="unknown")


@pytest.mark.parametrize(
    ("info", "ops", "problem"),
    [
        (APP, {"cancel"}, "delegated sign-in of the event organizer"),
        (APP, {"cancel", "get-session"}, "use --auth device-code or --auth azure-cli"),
        (APP, {"get-session"}, None),
        (APP, {"cancel-registration"}, None),
        (APP, set(), None),
        (DELEGATED, {"cancel", "remove-session", "cancel-registration"}, None),
        (DELEGATED_READ, {"cancel"}, "needs the delegated permission VirtualEvent.ReadWrite"),
        (DELEGATED_READ, {"get-session"}, None),
        (UNKNOWN, {"cancel"}, None),
    ],
)
def test_check_token_for_ops(info: TokenInfo, ops: set[str], problem: str | None) -> None:
    """Refuses exactly what Graph is documented to refuse, with an actionable message."""
    message = check_token_for_ops(info, ops)
    if problem is None:
        assert message is None
    else:
        assert message is not None
        assert problem in message


def test_as_dict_is_json_ready() -> None:
    """The JSON form lists everything whoami shows, expiry as ISO 8601."""
    info = describe_token(AccessToken(token=make_jwt(scp="A B", upn="u@x", exp=EXP)))
    assert info.as_dict() == {
        "kind": "delegated",
        "identity": "u@x",
        "tenant": None,
        "scopes": ["A", "B"],
        "roles": [],
        "expires_on": EXP_AT.isoformat(),
    }
