"""A TokenSource over a bearer token handed in by the caller (CI pipelines, scripts).

Such a token cannot be refreshed: a refresh returns the same token, and when Graph refuses it
the message says where it came from and to fetch a new one.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from batch.auth.base import AccessToken
from batch.auth.jwt_claims import decode_claims, expiry_from_claims, kind_from_claims
from batch.errors import AuthError

TOKEN_ENV = "GRAPH_ACCESS_TOKEN"  # noqa: S105 - the variable's name, not a secret
_SCHEME = "bearer "


def _warn_stderr(message: str) -> None:
    print(f"graph-batch: warning: {message}", file=sys.stderr)


def clean_token(text: str, *, origin: str) -> str:
    """The token in `text` without whitespace or a `Bearer ` prefix; AuthError if empty."""
    token = text.strip()
    if token.lower().startswith(_SCHEME):
        token = token[len(_SCHEME) :].strip()
    if not token:
        raise AuthError(f"{origin} is empty; put a Graph access token in it")
    if any(char.isspace() for char in token):
        raise AuthError(f"{origin} does not hold a single token (it contains whitespace)")
    return token


def read_token_file(path: Path) -> str:
    """The token stored in `path`; AuthError (never the content) when unreadable or empty."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise AuthError(f"token file {path} does not exist") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise AuthError(f"cannot read token file {path}: {type(exc).__name__}") from exc
    return clean_token(text, origin=f"token file {path}")


class StaticTokenSource:
    """Always the same token; warns once when it will expire before the run should end."""

    def __init__(
        self,
        token: str,
        *,
        source: str,
        run_ends_at: datetime | None = None,
        warn: Callable[[str], None] = _warn_stderr,
    ) -> None:
        claims = decode_claims(token)
        self._token = AccessToken(
            token=token, expires_on=expiry_from_claims(claims), kind=kind_from_claims(claims)
        )
        self._run_ends_at = run_ends_at
        self._warn = warn
        self._warned = False
        self.source = source
        """Where the token came from, e.g. `GRAPH_ACCESS_TOKEN`."""

    @property
    def refused_message(self) -> str:
        """What to tell the user when Graph refuses the token (it cannot be refreshed)."""
        return f"the token from {self.source} was refused or has expired; fetch a new one"

    def _warn_if_short_lived(self) -> None:
        expires_on, ends_at = self._token.expires_on, self._run_ends_at
        if self._warned or expires_on is None or ends_at is None or expires_on >= ends_at:
            return
        self._warned = True
        if expires_on <= datetime.now(UTC):
            # Said apart: "later requests will fail" would be wrong when even the first will.
            self._warn(
                f"the token from {self.source} expired at {expires_on:%Y-%m-%d %H:%M:%S %Z}; "
                "Graph will refuse it — fetch a new one"
            )
            return
        self._warn(
            f"the token from {self.source} expires at {expires_on:%Y-%m-%d %H:%M:%S %Z}, before "
            f"the run's estimated end ({ends_at:%Y-%m-%d %H:%M:%S %Z}); it cannot be refreshed, "
            "so later requests will fail with exit code 3 — use a longer-lived sign-in "
            "(see docs/auth.md)"
        )

    async def get_token(
        self, *, claims: str | None = None, force_refresh: bool = False
    ) -> AccessToken:
        """The token; a refresh or claims challenge cannot be honoured and returns it unchanged."""
        self._warn_if_short_lived()
        return self._token

    async def close(self) -> None:
        """Nothing to release."""
