"""The run's bearer token: asked of the token source for every request, replaced on a 401.

The source renews its token a margin before it expires (runs outlast tokens); asking it per
request is cheap because it caches. A refusal may carry a continuous-access-evaluation
challenge; its claims go to the token source so the fresh token satisfies them.
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
    """The bearer token for each request, and one replacement when Graph refuses it."""

    def __init__(self, source: TokenSource) -> None:
        self.source = source
        self._latest: str | None = None

    async def current(self) -> str:
        """The token to send now: asked of the source each time, so it renews before expiry."""
        self._latest = (await self.source.get_token()).token
        return self._latest

    async def refresh(self, refused: str, claims: str | None) -> str:
        """A token to resend with after Graph refused `refused` (401).

        When another request already replaced the refused token, that replacement is used:
        many requests refused at once cause one refresh, not one each. A CAE challenge
        (`claims`) always gets a token fetched for it.
        """
        if claims is None and self._latest is not None and self._latest != refused:
            return self._latest
        self._latest = (await self.source.get_token(claims=claims, force_refresh=True)).token
        return self._latest
