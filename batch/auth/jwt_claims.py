"""Read what a JWT access token says about itself, without verifying it.

Graph verifies tokens; we only peek at the claims to tell delegated from app-only, to show who
is signed in and to warn before expiry. An opaque (non-JWT) token simply yields no claims.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, datetime
from typing import Any

from batch.auth.base import TokenKind


def decode_claims(token: str) -> dict[str, Any] | None:
    """The JWT payload as a dict, or None when `token` is not a readable JWT."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    payload = parts[1]
    try:
        raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
        claims = json.loads(raw)
    except (binascii.Error, ValueError):
        return None
    return claims if isinstance(claims, dict) else None


def kind_from_claims(claims: dict[str, Any] | None, fallback: TokenKind = "unknown") -> TokenKind:
    """`scp` means a user signed in (delegated); `roles` alone or `idtyp=app` means app-only."""
    if claims is None:
        return fallback
    if claims.get("scp"):
        return "delegated"
    if claims.get("idtyp") == "app" or "roles" in claims:
        return "app-only"
    return fallback


def expiry_from_claims(claims: dict[str, Any] | None) -> datetime | None:
    """The `exp` claim as an aware UTC datetime, or None when absent or malformed."""
    if claims is None:
        return None
    exp = claims.get("exp")
    if isinstance(exp, bool) or not isinstance(exp, int | float):
        return None
    try:
        return datetime.fromtimestamp(exp, UTC)
    except (OverflowError, OSError, ValueError):
        return None
