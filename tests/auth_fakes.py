"""Small fakes that follow azure-identity's credential protocol, and a JWT builder."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from azure.core.credentials import AccessToken as AzureAccessToken
from azure.identity import AuthenticationRecord

from batch.sandbox import Sandbox


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def make_jwt(**claims: Any) -> str:
    """An unsigned-looking JWT (`header.payload.dummy-signature`) carrying `claims`."""
    return f"{_b64({'alg': 'RS256', 'typ': 'JWT'})}.{_b64(claims)}.c2lnbmF0dXJl"


class FakeAsyncCredential:
    """An async credential handing out `tok-N` tokens valid `lifetime` seconds from `now()`."""

    def __init__(
        self, *, now: float = 1_000_000.0, lifetime: float = 3600, error: Exception | None = None
    ) -> None:
        self.now = now
        self.lifetime = lifetime
        self.error = error
        self.calls: list[dict[str, Any]] = []
        self.closed = False
        self.gate: asyncio.Event | None = None

    async def get_token(
        self, *scopes: str, claims: str | None = None, tenant_id: str | None = None, **kwargs: Any
    ) -> AzureAccessToken:
        """Count the call, optionally wait on `gate`, then return or raise."""
        self.calls.append({"scopes": scopes, "claims": claims, **kwargs})
        if self.gate is not None:
            await self.gate.wait()
        if self.error is not None:
            raise self.error
        return AzureAccessToken(f"tok-{len(self.calls)}", int(self.now + self.lifetime))

    async def close(self) -> None:
        """Remember that the credential was closed."""
        self.closed = True


RECORD = AuthenticationRecord(
    tenant_id="tenant-1",
    client_id="client-1",
    authority="login.microsoftonline.com",
    home_account_id="uid.utid",
    username="organizer@contoso.com",
)


class FakeDeviceCodeCredential:
    """Stands in for DeviceCodeCredential: records its kwargs, signs in without a prompt."""

    instances: list[FakeDeviceCodeCredential] = []  # noqa: RUF012 - a per-test log, reset by tests

    def __init__(self, **kwargs: Any) -> None:
        self.kwargs = kwargs
        self.error: Exception | None = None
        self.closed = False
        FakeDeviceCodeCredential.instances.append(self)

    def authenticate(self, *, scopes: list[str] | None = None, **kwargs: Any) -> Any:
        """Pretend the user entered the code."""
        self.kwargs["scopes"] = scopes
        if self.error is not None:
            raise self.error
        return RECORD

    def get_token(
        self, *scopes: str, claims: str | None = None, tenant_id: str | None = None, **kwargs: Any
    ) -> AzureAccessToken:
        """A delegated JWT, as a silent refresh from the cache would give."""
        token = make_jwt(
            scp="VirtualEvent.ReadWrite", upn="organizer@contoso.com", exp=4_000_000_000
        )
        return AzureAccessToken(token, 4_000_000_000)

    def close(self) -> None:
        """Remember that the credential was closed."""
        self.closed = True


class SandboxCredential:
    """An azure-identity-protocol async credential that mints a new sandbox token per call.

    `lifetime` is what the "identity provider" says each token lasts; `accepted` is how long
    the sandbox really accepts the token of each call in turn (the last entry repeats), so a
    test can have Graph refuse a token early (revoked, clock skew) or refuse every new one.
    Times are seconds on `wall`, the sandbox's own (fake) clock.
    """

    def __init__(
        self,
        sandbox: Sandbox,
        wall: Callable[[], float],
        *,
        lifetime: float,
        accepted: Sequence[float] | None = None,
        app_only: bool = False,
    ) -> None:
        self._sandbox = sandbox
        self._wall = wall
        self._lifetime = lifetime
        self._accepted = list(accepted or [lifetime])
        self._app_only = app_only
        self.calls: list[dict[str, Any]] = []
        self.minted: list[str] = []
        self.closed = False

    async def get_token(
        self, *scopes: str, claims: str | None = None, tenant_id: str | None = None, **kwargs: Any
    ) -> AzureAccessToken:
        """A fresh sandbox token said to last `lifetime` seconds from now."""
        self.calls.append({"scopes": scopes, "claims": claims, "at": self._wall()})
        now = self._wall()
        accepted = self._accepted[min(len(self.calls), len(self._accepted)) - 1]
        token = self._sandbox.add_token(
            app_only=self._app_only, expires_at=datetime.fromtimestamp(now + accepted, UTC)
        )
        self.minted.append(token)
        return AzureAccessToken(token, int(now + self._lifetime))

    async def close(self) -> None:
        """Remember that the credential was closed."""
        self.closed = True
