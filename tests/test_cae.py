"""Reading a continuous-access-evaluation challenge off a 401."""

from __future__ import annotations

import base64

import pytest

from batch.auth.token_holder import cae_claims

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
