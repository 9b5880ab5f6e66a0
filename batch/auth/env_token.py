"""A `TokenSource` for a token handed in by the pipeline through `GRAPH_ACCESS_TOKEN`."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from datetime import UTC, datetime

from batch.auth.base import AccessToken, TokenKind
from batch.errors import AuthError

TOKEN_ENV = "GRAPH_ACCESS_TOKEN"  # noqa: S105 - the variable name, not a secret.


def token_kind(token: str) -> TokenKind:
    """Delegated or app-only, read from a JWT's claims (`unknown` for an opaque token)."""
    claims = _claims(token)
    if claims is None:
        return "unknown"
    if claims.get("idtyp") == "app" or ("roles" in claims and "scp" not in claims):
        return "app-only"
    if "scp" in claims or claims.get("idtyp") == "user":
        return "delegated"
    return "unknown"


def _claims(token: str) -> dict[str, object] | None:
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        payload = base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4))
        claims = json.loads(payload)
    except (ValueError, UnicodeDecodeError):
        return None
    return claims if isinstance(claims, dict) else None


def _expiry(token: str) -> datetime | None:
    claims = _claims(token) or {}
    exp = claims.get("exp")
    return datetime.fromtimestamp(exp, UTC) if isinstance(exp, int | float) else None


class EnvTokenSource:
    """The fixed bearer token in `GRAPH_ACCESS_TOKEN`; it cannot refresh, only be re-read."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self._environ = environ

    @property
    def available(self) -> bool:
        """True when the variable is set and non-empty."""
        return bool(self._environ.get(TOKEN_ENV, "").strip())

    async def get_token(
        self, *, claims: str | None = None, force_refresh: bool = False
    ) -> AccessToken:
        """The token from the environment; raises `AuthError` when there is none."""
        token = self._environ.get(TOKEN_ENV, "").strip()
        if not token:
            raise AuthError(
                f"no access token: set {TOKEN_ENV} to a delegated Graph token "
                "(or use --dry-run to see what would be done without one)"
            )
        return AccessToken(token=token, expires_on=_expiry(token), kind=token_kind(token))

    async def close(self) -> None:
        """Nothing to release."""
