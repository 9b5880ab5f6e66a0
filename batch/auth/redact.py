"""Keep tokens, secrets and keys out of every line graph-batch prints or logs.

`redact_secrets` is a structlog processor; `redact_text` does the same for a plain message (used
for stderr). Both mask anything token-shaped wherever it appears, plus every value whose key names
a secret, recursively through dicts, lists and tuples; and, exactly, every secret this process
was handed (`remember_secret`): an opaque token has no shape a pattern could catch, but the run
knows its value, so a server echoing it back is masked too.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, MutableMapping
from typing import Any

MASK = "<redacted>"
MIN_SECRET_CHARS = 8
"""Shorter values are not remembered: masking every `abc` in an output would garble it."""

_KNOWN: set[str] = set()

_JWT = re.compile(r"eyJ[A-Za-z0-9_-]*\.eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*")
_BEARER = re.compile(r"(?i)\b(bearer)\s+[A-Za-z0-9\-._~+/]+=*")
_PEM = re.compile(r"-----BEGIN [A-Z0-9 ]+-----.*?(?:-----END [A-Z0-9 ]+-----|\Z)", re.DOTALL)
# `<name>=<value>` pairs as they appear in URLs, form bodies and error texts.
_PAIR = re.compile(
    r"(?i)\b((?:access_|refresh_|id_)?token|client_secret|password|assertion|client_assertion)"
    r"(\s*[=:]\s*)[^\s&,;\"']+"
)
_SECRET_KEY = re.compile(
    r"(?i)(^|[_\-.])(access_?|refresh_?|id_?|bearer_?)?token$|secret|passw(or)?d|authorization"
    r"|assertion|^cookie$|api_?key|private_?key|certificate_password"
)


def is_secret_key(key: str) -> bool:
    """Whether a key such as `client_secret` or `access_token` names a secret value."""
    return bool(_SECRET_KEY.search(key))


def remember_secret(value: str) -> None:
    """Mask `value` wherever `redact_text` meets it from now on (a token this process holds)."""
    if len(value) >= MIN_SECRET_CHARS:
        _KNOWN.add(value)


def redact_text(text: str) -> str:
    """`text` with known secrets, JWTs, bearer credentials, PEM blocks and `token=...` masked."""
    for secret in _KNOWN:
        if secret in text:
            text = text.replace(secret, MASK)
    text = _PEM.sub(MASK, text)
    text = _JWT.sub(MASK, text)
    text = _BEARER.sub(lambda m: f"{m[1]} {MASK}", text)
    return _PAIR.sub(lambda m: f"{m[1]}{m[2]}{MASK}", text)


def redact_value(value: Any) -> Any:
    """A copy of `value` with every string redacted and every secret-named entry masked."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, bytes):
        return redact_text(value.decode("utf-8", "replace"))
    if isinstance(value, Mapping):
        return {
            key: MASK if isinstance(key, str) and is_secret_key(key) else redact_value(item)
            for key, item in value.items()
        }
    if isinstance(value, tuple):
        # Plain tuple on purpose: a NamedTuple (azure-core's AccessToken) cannot be rebuilt
        # from an iterable, and its field names add nothing to a log line.
        return tuple(redact_value(item) for item in value)
    if isinstance(value, list | set | frozenset):
        return type(value)(redact_value(item) for item in value)
    return value


def redact_secrets(
    logger: object, method_name: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog processor: mask secrets in the event dict (place it last before rendering)."""
    redacted: dict[str, Any] = redact_value(dict(event_dict))
    event_dict.clear()
    event_dict.update(redacted)
    return event_dict
