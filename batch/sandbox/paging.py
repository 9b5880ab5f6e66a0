"""Server-side paging: one page of a collection, and the `@odata.nextLink` to the next.

Graph pages collections with an absolute `@odata.nextLink` carrying an opaque `$skiptoken`; a
client must follow the link as given, never build one. The sandbox does the same, with a page
size set by `SandboxConfig.page_size` so a test can make any list span several pages.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote

from batch.sandbox.answers import Answer, JsonObject

_PREFIX = "skip:"


@dataclass(frozen=True)
class PageRequest:
    """Where a list request was sent (absolute URL, no query) and the `$skiptoken` it carried."""

    url: str = ""
    skiptoken: str | None = None


def _token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"{_PREFIX}{offset}".encode()).decode("ascii").rstrip("=")


def _offset(token: str) -> int | None:
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    number = text.removeprefix(_PREFIX)
    return int(number) if text.startswith(_PREFIX) and number.isdigit() else None


def page_answer(items: Sequence[JsonObject], request: PageRequest, size: int) -> Answer:
    """200 with one page of `items` (`value`), plus `@odata.nextLink` when more remain."""
    offset = 0 if request.skiptoken is None else _offset(request.skiptoken)
    if offset is None:
        return Answer.error(400, "BadRequest", "Invalid $skiptoken.")
    body: JsonObject = {"value": list(items[offset : offset + size])}
    if offset + size < len(items):
        token = quote(_token(offset + size), safe="")
        body["@odata.nextLink"] = f"{request.url}?$skiptoken={token}"
    return Answer(200, body)
