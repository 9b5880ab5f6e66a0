"""Keep tokens, secrets and keys out of every line graph-batch prints or logs.

`redact_secrets` is a structlog processor; `redact_text` does the same for a plain message (used
for stderr). Both mask anything token-shaped wherever it appears, plus every value whose key names
a secret, recursively through dicts, lists and tuples; and every secret this process was handed
(`remember_secret`): an opaque token has no shape a pattern could catch, but the run knows its
value, so a server echoing it back is masked too. A server may echo it re-encoded or cut, so
each secret is also known in its URL-encoded forms (`quote`, `quote_plus`, `.` as `%2E`/`%2e`,
either hex case) and base64, and any run of `MIN_RUN` or more consecutive characters of any of
these forms (a prefix, a middle, a tail) is masked as well.

Finding runs stays linear in the text: every form's chunks of `_CHUNK` characters at offsets
`0, _CHUNK, 2*_CHUNK...` (and its last `_CHUNK`) are indexed once, when the secret is
remembered. Any run of `2*_CHUNK - 1` or more characters of a form contains one of those aligned
chunks whole, so each `_CHUNK`-character window of the text is looked up in the index, and a hit
is extended both ways while the text keeps matching the form.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping, MutableMapping
from typing import Any
from urllib.parse import quote, quote_plus

MASK = "<redacted>"
MIN_SECRET_CHARS = 8
"""Shorter values are not remembered: masking every `abc` in an output would garble it."""
MIN_RUN = 16
"""A run of this many consecutive characters of a known secret (or an encoded form) is masked."""
_CHUNK = MIN_RUN // 2
"""Index chunk length: a run of `2 * _CHUNK - 1 <= MIN_RUN` characters holds an aligned chunk."""

_KNOWN: set[str] = set()
_FORMS: list[str] = []
"""Every known secret in every encoding it is masked in, longest first (a padded base64 form is
masked whole before the unpadded one could leave `==` behind)."""
_CHUNKS: dict[str, list[tuple[str, int]]] = {}
"""Aligned chunk -> (form, offset of the chunk in it), for finding runs (module docstring)."""
_PERCENT = re.compile(r"%[0-9A-F]{2}")

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


def encoded_forms(secret: str) -> set[str]:
    """`secret` as a server may echo it: itself, URL-encoded (`quote` with and without `/`
    safe, `quote_plus`, `.` as `%2E`; each also with lower-case hex) and base64 (standard and
    URL-safe, with and without padding)."""
    raw = secret.encode("utf-8", "surrogatepass")
    odd = "surrogatepass"  # a lone surrogate must not make remembering fail
    url = {quote(secret, errors=odd), quote(secret, "", errors=odd), quote_plus(secret, errors=odd)}
    url |= {form.replace(".", "%2E") for form in (secret, *url)}
    url |= {_PERCENT.sub(lambda hexed: hexed[0].lower(), form) for form in url}
    b64 = {form.decode("ascii") for form in (base64.b64encode(raw), base64.urlsafe_b64encode(raw))}
    return {secret, *url, *b64, *(form.rstrip("=") for form in b64)}


def remember_secret(value: str) -> None:
    """Mask `value`, its encoded forms and any run of `MIN_RUN` of their characters wherever
    `redact_text` meets them from now on (a token this process holds)."""
    if len(value) < MIN_SECRET_CHARS or value in _KNOWN:
        return
    _KNOWN.add(value)
    for form in encoded_forms(value).difference(_FORMS):
        _FORMS.append(form)
        if len(form) < MIN_RUN:
            continue
        offsets = {*range(0, len(form) - _CHUNK + 1, _CHUNK), len(form) - _CHUNK}
        for offset in offsets:
            _CHUNKS.setdefault(form[offset : offset + _CHUNK], []).append((form, offset))
    _FORMS.sort(key=len, reverse=True)


def _secret_runs(text: str) -> list[tuple[int, int]]:
    """(start, end) of every run of `MIN_RUN`+ characters of a known form in `text`."""
    runs: list[tuple[int, int]] = []
    for start in range(len(text) - _CHUNK + 1):
        for form, offset in _CHUNKS.get(text[start : start + _CHUNK], ()):
            after = start + _CHUNK
            left = _common_suffix(text[max(0, start - offset) : start], form[:offset])
            tail = form[offset + _CHUNK :]
            right = _common_prefix(text[after : after + len(tail)], tail)
            if left + _CHUNK + right >= MIN_RUN:
                runs.append((start - left, after + right))
    return runs


def _common_prefix(one: str, other: str) -> int:
    """Length of the longest common prefix; binary search on slices (C speed, no char loop)."""
    low, high = 0, min(len(one), len(other))
    while low < high:
        middle = (low + high + 1) // 2
        if one[:middle] == other[:middle]:
            low = middle
        else:
            high = middle - 1
    return low


def _common_suffix(one: str, other: str) -> int:
    return _common_prefix(one[::-1], other[::-1])


def _mask_forms(text: str) -> str:
    """`text` with every known form, whole, replaced by MASK."""
    for form in _FORMS:
        if form in text:
            text = text.replace(form, MASK)
    return text


def _mask_runs(text: str) -> str:
    """`text` with every run of `MIN_RUN`+ characters of a known form replaced by MASK."""
    if len(text) < MIN_RUN or not _CHUNKS:
        return text
    pieces: list[str] = []
    done = 0
    for start, end in sorted(_secret_runs(text)):
        if start > done or not pieces:
            pieces += [text[done:start], MASK]
        done = max(done, end)
    return "".join(pieces) + text[done:]


def redact_text(text: str) -> str:
    """`text` with known secrets, JWTs, bearer credentials, PEM blocks and `token=...` masked.

    Parts of known secrets go last: tokens share runs (every RS256 JWT starts alike), and
    masking one inside another JWT first would leave a remainder the JWT pattern misses.
    """
    text = _mask_forms(text)
    text = _PEM.sub(MASK, text)
    text = _JWT.sub(MASK, text)
    text = _BEARER.sub(lambda m: f"{m[1]} {MASK}", text)
    text = _PAIR.sub(lambda m: f"{m[1]}{m[2]}{MASK}", text)
    return _mask_runs(text)


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
