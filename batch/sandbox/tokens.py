"""The bearer tokens the sandbox accepts, and why it refuses one.

Tokens the sandbox mints are JWT-shaped (unsigned) so that code decoding claims for `whoami` or
redaction can be exercised; any opaque string listed in the world file is accepted too.
"""

from __future__ import annotations

import base64
import json
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum

from batch.sandbox.world import AppGrant, TokenSpec

SCOPES = "VirtualEvent.ReadWrite VirtualEvent.Read User.Read"
APP_ROLES: dict[AppGrant, tuple[str, ...]] = {
    "access-policy": ("VirtualEvent.Read.All",),
    "rsc": ("VirtualEvent.Read.Chat",),
    "none": (),
}
"""The `roles` claim of an application token, by its grant."""
SANDBOX_APP_ID = "0e1f5a5c-0000-4000-8000-5a4db0c5a4db"


class Refusal(Enum):
    """Why a request's token was not accepted."""

    MISSING = "missing"
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    CAE_CHALLENGE = "cae"


@dataclass
class TokenRecord:
    """One accepted token; `challenged` flips once its CAE challenge has been sent."""

    name: str | None
    value: str
    app_only: bool
    upn: str
    expires_at: datetime | None
    cae_challenge: bool
    app_grant: AppGrant = "access-policy"
    challenged: bool = False


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def make_jwt(
    *,
    app_only: bool,
    upn: str,
    tenant_id: str,
    expires_at: datetime,
    app_grant: AppGrant = "access-policy",
) -> str:
    """An unsigned JWT-shaped token with Entra-like claims (`upn` or `appid`/`roles`, `exp`)."""
    now = int(datetime.now(UTC).timestamp())
    claims: dict[str, object] = {
        "aud": "https://graph.microsoft.com",
        "iss": f"https://sts.windows.net/{tenant_id}/",
        "iat": now,
        "nbf": now,
        "exp": int(expires_at.timestamp()),
        "tid": tenant_id,
        "oid": str(uuid.uuid4()),
        "appid": SANDBOX_APP_ID,
        "app_displayname": "graph-batch sandbox",
    }
    if app_only:
        claims["roles"] = list(APP_ROLES[app_grant])
        claims["idtyp"] = "app"
    else:
        claims |= {"upn": upn, "unique_name": upn, "scp": SCOPES, "idtyp": "user"}
    header = {"typ": "JWT", "alg": "none", "kid": "graph-batch-sandbox"}
    # Random, so a sandbox exposed with --host cannot have its tokens guessed.
    signature = _b64url(secrets.token_bytes(32))
    return ".".join(
        [_b64url(json.dumps(header).encode()), _b64url(json.dumps(claims).encode()), signature]
    )


class TokenRegistry:
    """Accepted tokens by value; expiry is judged on the sandbox's (injectable) wall clock."""

    def __init__(self, tenant_id: str, started_at: datetime) -> None:
        self._tenant_id = tenant_id
        self._started_at = started_at
        self._tokens: dict[str, TokenRecord] = {}

    def add(self, spec: TokenSpec) -> TokenRecord:
        """Register a token from its spec, minting a JWT-shaped value when none is given."""
        if spec.expires_at is not None:
            expires_at: datetime | None = spec.expires_at
        elif spec.expires_in is not None:
            expires_at = self._started_at + timedelta(seconds=spec.expires_in)
        else:
            expires_at = None
        value = spec.value or make_jwt(
            app_only=spec.app_only,
            upn=spec.upn,
            tenant_id=self._tenant_id,
            expires_at=expires_at or self._started_at + timedelta(days=1),
            app_grant=spec.app_grant,
        )
        record = TokenRecord(
            spec.name,
            value,
            spec.app_only,
            spec.upn,
            expires_at,
            spec.cae_challenge,
            spec.app_grant,
        )
        self._tokens[value] = record
        return record

    def first(self, *, app_only: bool) -> TokenRecord | None:
        """The first registered token of that kind that neither expires nor challenges."""
        for record in self._tokens.values():
            plain = record.expires_at is None and not record.cae_challenge
            if record.app_only == app_only and plain:
                return record
        return None

    def named(self, name: str) -> TokenRecord | None:
        """The token registered under `name` in the world file, if any."""
        return next((r for r in self._tokens.values() if r.name == name), None)

    def check(self, authorization: str | None, now: datetime) -> TokenRecord | Refusal:
        """The token's record if the `Authorization` header is acceptable, else why not."""
        scheme, _, value = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            return Refusal.MISSING
        record = self._tokens.get(value.strip())
        if record is None:
            return Refusal.UNKNOWN
        if record.expires_at is not None and now >= record.expires_at:
            return Refusal.EXPIRED
        if record.cae_challenge and not record.challenged:
            record.challenged = True
            return Refusal.CAE_CHALLENGE
        return record


def cae_claims(now: datetime) -> str:
    """The base64 `claims` value of a CAE challenge, shaped like Graph's."""
    claims = {"access_token": {"nbf": {"essential": True, "value": str(int(now.timestamp()))}}}
    return base64.b64encode(json.dumps(claims, separators=(",", ":")).encode()).decode("ascii")
