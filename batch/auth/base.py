"""The narrow interface the runner needs from any credential."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from batch.auth.redact import remember_secret

TokenKind = Literal["delegated", "app-only", "unknown"]


@dataclass(frozen=True)
class AccessToken:
    """A bearer token and what is known about it; `repr` never shows the secret."""

    token: str
    expires_on: datetime | None = None
    kind: TokenKind = "unknown"

    def __post_init__(self) -> None:
        # Every token graph-batch holds passes through here, whatever its source: from now on
        # no output of this process can carry it, even one a server echoes back.
        remember_secret(self.token)

    def __repr__(self) -> str:
        return f"AccessToken(token=<redacted>, expires_on={self.expires_on!r}, kind={self.kind!r})"


class TokenSource(Protocol):
    """Hands out bearer tokens for Graph, refreshing them when asked or when they expire."""

    async def get_token(
        self, *, claims: str | None = None, force_refresh: bool = False
    ) -> AccessToken:
        """A valid token; `claims` answers a continuous-access-evaluation challenge."""
        ...

    async def close(self) -> None:
        """Release network resources held by the credential."""
        ...
