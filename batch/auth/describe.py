"""What a token can do: who it speaks for, its kind and permissions, and whether it fits the job.

Pure functions over the token's (unverified) claims, so `whoami` and the runner's pre-flight
check give the same answer and can be tested as tables.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from batch.auth.base import AccessToken, TokenKind
from batch.auth.jwt_claims import decode_claims, expiry_from_claims, kind_from_claims

DELEGATED_ONLY_OPS: frozenset[str] = frozenset({"cancel"})
"""Ops Graph refuses to app-only tokens: cancelling an event needs the organizer signed in."""

READ_OPS: frozenset[str] = frozenset({"get-session"})
"""Ops that change nothing; every other op is a write."""

WRITE_SCOPE = "VirtualEvent.ReadWrite"
"""The delegated permission every write op needs (Graph: least and only privileged)."""


@dataclass(frozen=True)
class TokenInfo:
    """What a token's claims say; never holds the token itself."""

    kind: TokenKind
    identity: str | None = None
    tenant: str | None = None
    scopes: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    expires_on: datetime | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form for `whoami --format json` and the audit log."""
        return {
            "kind": self.kind,
            "identity": self.identity,
            "tenant": self.tenant,
            "scopes": list(self.scopes),
            "roles": list(self.roles),
            "expires_on": self.expires_on.isoformat() if self.expires_on else None,
        }


def _first_text(claims: dict[str, Any], names: Iterable[str]) -> str | None:
    for name in names:
        value = claims.get(name)
        if isinstance(value, str) and value:
            return value
    return None


def _strings(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return tuple(value.split())
    if isinstance(value, list):
        return tuple(str(item) for item in value)
    return ()


def describe_token(token: AccessToken) -> TokenInfo:
    """Describe `token` from its JWT claims; an opaque token keeps only what the source knew."""
    claims = decode_claims(token.token)
    if claims is None:
        return TokenInfo(kind=token.kind, expires_on=token.expires_on)
    kind = kind_from_claims(claims, token.kind)
    user = _first_text(claims, ("upn", "unique_name", "preferred_username", "email"))
    app = _first_text(claims, ("app_displayname", "appid", "azp"))
    identity = user if kind != "app-only" and user else app
    if kind == "app-only" and app and claims.get("appid") and app != claims["appid"]:
        identity = f"{app} ({claims['appid']})"
    return TokenInfo(
        kind=kind,
        identity=identity,
        tenant=_first_text(claims, ("tid",)),
        scopes=_strings(claims.get("scp")),
        roles=_strings(claims.get("roles")),
        expires_on=expiry_from_claims(claims) or token.expires_on,
    )


def check_token_for_ops(info: TokenInfo, ops_destructive_kinds: set[str]) -> str | None:
    """Why this token cannot run these ops (by op name), or None when it looks fit.

    Only refuses what Graph is documented to refuse; an opaque token of unknown kind passes,
    and Graph itself has the last word.
    """
    needs_delegated = sorted(ops_destructive_kinds & DELEGATED_ONLY_OPS)
    if needs_delegated and info.kind == "app-only":
        ops = ", ".join(needs_delegated)
        return (
            f"{ops} needs a delegated sign-in of the event organizer, but this is an app-only "
            "token; use --auth device-code or --auth azure-cli (or a user token)"
        )
    writes = sorted(ops_destructive_kinds - READ_OPS)
    can_write = any(scope.startswith(WRITE_SCOPE) for scope in info.scopes)
    if writes and info.kind == "delegated" and info.scopes and not can_write:
        return (
            f"{', '.join(writes)} needs the delegated permission {WRITE_SCOPE}, but the token "
            f"only grants: {' '.join(info.scopes)}; consent to {WRITE_SCOPE} for the app you "
            "sign in with"
        )
    return None
