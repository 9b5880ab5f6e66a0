"""A TokenSource over any azure-identity credential: lazy, cached, refreshed before expiry.

Runs last hours at Graph's write limits, far past a token's lifetime, so the token is renewed a
margin before it expires; concurrent requests share one refresh instead of stampeding the
identity provider; azure-identity's exceptions become `AuthError` here, at the boundary.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol

from azure.core.credentials import AccessToken as AzureAccessToken
from azure.core.exceptions import ClientAuthenticationError

from batch.auth.base import AccessToken, TokenKind
from batch.auth.jwt_claims import decode_claims, kind_from_claims
from batch.auth.redact import redact_text
from batch.errors import AuthError

REFRESH_MARGIN_SECONDS = 300.0
"""Renew this long before expiry, so no request ever leaves with a token about to lapse."""

_MAX_MESSAGE = 300


class AsyncCredential(Protocol):
    """The slice of azure-identity's async credential protocol graph-batch uses."""

    async def get_token(
        self, *scopes: str, claims: str | None = None, tenant_id: str | None = None, **kwargs: Any
    ) -> AzureAccessToken:
        """A token for `scopes` (azure-core's `AsyncTokenCredential.get_token`)."""
        ...

    async def close(self) -> None:
        """Release the credential's transport."""
        ...


class SyncCredential(Protocol):
    """azure-identity's sync credential protocol (DeviceCodeCredential has no aio twin)."""

    def get_token(
        self, *scopes: str, claims: str | None = None, tenant_id: str | None = None, **kwargs: Any
    ) -> AzureAccessToken:
        """A token for `scopes` (azure-core's `TokenCredential.get_token`)."""
        ...

    def close(self) -> None:
        """Release the credential's transport."""
        ...


class ThreadedCredential:
    """Run a sync credential in a worker thread so it never blocks the event loop."""

    def __init__(self, credential: SyncCredential) -> None:
        self._credential = credential

    async def get_token(
        self, *scopes: str, claims: str | None = None, tenant_id: str | None = None, **kwargs: Any
    ) -> AzureAccessToken:
        """The wrapped credential's token, fetched off the event loop."""
        return await asyncio.to_thread(
            self._credential.get_token, *scopes, claims=claims, tenant_id=tenant_id, **kwargs
        )

    async def close(self) -> None:
        """Close the wrapped credential."""
        await asyncio.to_thread(self._credential.close)


_ATTEMPTED = re.compile(r"\b(\w+)Credential:")


def one_line(text: str) -> str:
    """`text` redacted, on one line and short: azure-identity's messages span many lines.

    A chained credential's message (DefaultAzureCredential's "Attempted credentials: ...", one
    troubleshooting URL each) becomes the list of what it tried, not a cut-off paragraph.
    """
    flat = " ".join(redact_text(text).split())
    _, marker, attempts = flat.partition("Attempted credentials:")
    if marker and (tried := _ATTEMPTED.findall(attempts)):
        return f"tried {', '.join(dict.fromkeys(tried))}: none could sign in"
    return flat if len(flat) <= _MAX_MESSAGE else flat[: _MAX_MESSAGE - 1] + "…"


def auth_error(exc: BaseException, *, source: str, hint: str) -> AuthError:
    """An AuthError naming the source, the first line of the cause and what to do about it."""
    reason = one_line(str(exc)) or type(exc).__name__
    return AuthError(f"{source} could not get a token: {reason} — {hint}")


class CredentialTokenSource:
    """TokenSource over an azure-identity async credential (see the module docstring)."""

    def __init__(
        self,
        credential: AsyncCredential,
        *,
        scope: str,
        source: str,
        hint: str,
        kind: TokenKind = "unknown",
        margin: float = REFRESH_MARGIN_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._credential = credential
        self._scope = scope
        self._kind = kind
        self._margin = margin
        self._clock = clock
        self._lock = asyncio.Lock()
        self._cached: AccessToken | None = None
        self._cached_claims: str | None = None
        self._generation = 0
        self.source = source
        """Human name of where tokens come from, e.g. `the saved device-code login`."""
        self.hint = hint
        """What the user should do when tokens stop coming."""

    @property
    def refused_message(self) -> str:
        """What to tell the user when Graph refuses even a freshly fetched token."""
        return f"Graph refused the token from {self.source} even after a refresh — {self.hint}"

    def _usable(self) -> AccessToken | None:
        """The cached token while it stays valid beyond the margin, else None."""
        token = self._cached
        if token is None or token.expires_on is None:
            return token
        return token if token.expires_on.timestamp() - self._margin > self._clock() else None

    async def get_token(
        self, *, claims: str | None = None, force_refresh: bool = False
    ) -> AccessToken:
        """A token valid for at least the margin; `force_refresh`/`claims` fetch a new one."""
        seen = self._generation
        wants_new = force_refresh or claims is not None
        if not wants_new and (usable := self._usable()) is not None:
            return usable
        async with self._lock:
            # Whoever held the lock may already have fetched what this caller needs.
            renewed = self._generation != seen and claims == self._cached_claims
            if (renewed or not wants_new) and (usable := self._usable()) is not None:
                return usable
            token = await self._fetch(claims)
            self._cached, self._cached_claims = token, claims
            self._generation += 1
            return token

    async def _fetch(self, claims: str | None) -> AccessToken:
        try:
            raw = await self._credential.get_token(self._scope, claims=claims)
        except (ClientAuthenticationError, ValueError, OSError) as exc:
            # CredentialUnavailableError and AuthenticationRequiredError derive from
            # ClientAuthenticationError; ValueError is azure-identity's "misconfigured".
            raise auth_error(exc, source=self.source, hint=self.hint) from exc
        return AccessToken(
            token=raw.token,
            expires_on=datetime.fromtimestamp(raw.expires_on, UTC),
            kind=kind_from_claims(decode_claims(raw.token), self._kind),
        )

    async def close(self) -> None:
        """Close the credential (its HTTP transport); safe to call more than once."""
        await self._credential.close()
