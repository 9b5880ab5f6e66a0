"""The run's bearer token: fetched once, refreshed only when Graph refuses it (401).

A refusal may carry a continuous-access-evaluation challenge; its claims go to the token
source so the fresh token satisfies them.
"""

from __future__ import annotations

import base64
import binascii
import re

from batch.auth.base import TokenSource

_CLAIMS = re.compile(r'claims="([^"]*)"')


def cae_claims(www_authenticate: str | None) -> str | None:
    """The decoded claims of a continuous-access-evaluation challenge, if the 401 carries one."""
    if not www_authenticate or "insufficient_claims" not in www_authenticate:
        return None
    match = _CLAIMS.search(www_authenticate)
    if match is None:
        return None
    raw = match[1]
    try:
        return base64.b64decode(raw + "=" * (-len(raw) % 4)).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return raw


class TokenHolder:
    """The current bearer token, fetched once and refreshed only when Graph refuses it."""

    def __init__(self, source: TokenSource) -> None:
        self.source = source
        self._token: str | None = None

    async def current(self) -> str:
        """The token to send."""
        if self._token is None:
            self._token = (await self.source.get_token()).token
        return self._token

    async def refresh(self, claims: str | None) -> str:
        """A fresh token (answering a CAE challenge when `claims` is given)."""
        self._token = (await self.source.get_token(claims=claims, force_refresh=True)).token
        return self._token
