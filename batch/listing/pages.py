"""Page through one Graph collection: paced, retried GETs following `@odata.nextLink`.

The link is followed as Graph gives it (absolute, or relative to the page it came on), but only
while it stays on the scheme, host and port of `--base-url`: the reader sends the token with
every request, so a link anywhere else stops the listing (exit 1) instead of being followed.
Items are yielded one at a time and each page is dropped once read: memory stays flat. A link
back to a page already read (a server bug) would loop for ever: it stops the listing (exit 1),
as does reading more than `MAX_PAGES` pages of one collection. Only a 16-byte digest of each
followed URL is kept, so even a cap's worth of pages costs a few megabytes at most.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncGenerator, Callable
from typing import Any
from urllib.parse import urljoin

from batch.errors import AuthError, GraphBatchError
from batch.http.origin import origin
from batch.listing.targets import Collection
from batch.planning.reader import Reader, ReadResult

NEXT_LINK = "@odata.nextLink"
MAX_PAGES = 100_000
"""Pages read from one collection before the listing stops (exit 1): far beyond any tenant's
events or an event's registrations at Graph's page sizes, but a bound on a server whose links
never end (each one new, so the repeat check cannot see it)."""


class PageFailedError(GraphBatchError):
    """A page could not be read after retries, or paging had to stop (exit 1)."""


def next_url(link: object, current: str, base_url: str) -> str:
    """The absolute URL of the next page; PageFailedError when it leaves `base_url`'s origin."""
    if not isinstance(link, str) or not link.strip():
        raise PageFailedError(f"the next-page link is not a URL: {link!r}")
    target = urljoin(current, link.strip())
    if origin(target) != origin(base_url):
        scheme, host, port = origin(target)
        raise PageFailedError(
            f"stopped: the next page is on {scheme}://{host}:{port}, not on {base_url} "
            "(--base-url); the token is only ever sent to --base-url, so the listing is "
            "incomplete"
        )
    return target


async def collection_items(
    reader: Reader,
    collection: Collection,
    api_root: str,
    base_url: str,
    *,
    refused: AuthError,
    on_page: Callable[[], None] = lambda: None,
) -> AsyncGenerator[dict[str, Any], None]:
    """Every item of `collection`, page after page; raises PageFailedError or AuthError."""
    target: str | None = api_root + collection.path
    page = 0
    followed: set[bytes] = set()
    while target is not None:
        page += 1
        _check_new(target, page, followed)
        result = await reader.get(target)
        values = _values(result, collection, page, refused)
        on_page()
        link = result.body.get(NEXT_LINK) if result.body else None
        current, target = target, None
        for value in values:
            yield value
        if link is not None:
            target = next_url(link, current, base_url)


def _check_new(target: str, page: int, followed: set[bytes]) -> None:
    """Remember `target`; PageFailedError if it was read already or the page cap is passed."""
    digest = hashlib.blake2b(target.encode(), digest_size=16).digest()
    if digest in followed:
        raise PageFailedError(
            f"stopped: page {page - 1}'s next-page link {target} repeats a page already read; "
            "the server's paging loops, so the listing is incomplete"
        )
    if page > MAX_PAGES:
        raise PageFailedError(
            f"stopped after {MAX_PAGES} pages of one list (the page cap): the server's "
            "next-page links never end, so the listing is incomplete"
        )
    followed.add(digest)


def _values(
    result: ReadResult, collection: Collection, page: int, refused: AuthError
) -> list[dict[str, Any]]:
    what = f"listing {collection.endpoint}" + (
        f" of event {collection.event_id}" if collection.event_id else ""
    )
    if result.status == 401:
        raise refused
    if result.status == 403:
        raise AuthError(
            f"{what} was refused (403 {result.error_code or 'Forbidden'}): it needs "
            f"{collection.permission}"
        )
    if result.status is None or not 200 <= result.status < 300:
        answer = f"HTTP {result.status}" if result.status else "no answer"
        raise PageFailedError(
            f"{what}: page {page} failed after retries ({answer} {result.error_code or ''})".strip()
        )
    values = result.body.get("value") if result.body else None
    if not isinstance(values, list) or not all(isinstance(v, dict) for v in values):
        raise PageFailedError(f"{what}: page {page} has no list of items (`value`)")
    return values
