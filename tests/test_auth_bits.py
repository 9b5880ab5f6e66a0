"""The environment token source, token-kind detection and CAE challenge parsing."""

from __future__ import annotations

import base64
import json

import pytest

from batch.auth.env_token import EnvTokenSource, token_kind
from batch.errors import AuthError
from batch.executor import cae_claims


def _jwt(claims: dict[str, object]) -> str:
    def part(data: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': 'none'})}.{part(claims)}.sig"


@pytest.mark.parametrize(
    ("token", "kind"),
    [
        (_jwt({"scp": "VirtualEvent.ReadWrite", "idtyp": "user"}), "delegated"),
        (_jwt({"roles": ["VirtualEvent.Read.All"], "idtyp": "app"}), "app-only"),
        (_jwt({"roles": ["x"]}), "app-only"),
        (_jwt({"sub": "x"}), "unknown"),
        ("opaque-token", "unknown"),
        ("a.!!!.c", "unknown"),
    ],
)
def test_token_kind(token: str, kind: str) -> None:
    """Delegated and app-only JWTs are told apart; anything else is unknown."""
    assert token_kind(token) == kind


async def test_env_token_source() -> None:
    """The token comes from GRAPH_ACCESS_TOKEN; a missing one is an AuthError (exit 3)."""
    token = await EnvTokenSource({"GRAPH_ACCESS_TOKEN": " abc "}).get_token(force_refresh=True)
    assert token.token == "abc"
    assert "abc" not in repr(token)
    with pytest.raises(AuthError, match="GRAPH_ACCESS_TOKEN"):
        await EnvTokenSource({}).get_token()


CLAIMS = '{"access_token":{"nbf":{"essential":true,"value":"1700000000"}}}'


@pytest.mark.parametrize(
    ("header", "claims"),
    [
        (
            'Bearer realm="", error="insufficient_claims", claims="'
            + base64.b64encode(CLAIMS.encode()).decode()
            + '"',
            CLAIMS,
        ),
        ('Bearer realm="", authorization_uri="https://login"', None),
        (None, None),
        ('Bearer error="insufficient_claims"', None),
    ],
)
def test_cae_claims(header: str | None, claims: str | None) -> None:
    """Only a CAE challenge yields claims, decoded from base64."""
    assert cae_claims(header) == claims
