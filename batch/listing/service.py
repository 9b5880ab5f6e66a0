"""List: page through each collection with the runner's own read machinery, filter each item,
hand the matches to a sink.

Reads go through `GraphReader`, as `plan`'s do: the same client, read-class pacer
(`--read-limit`), Retry-After handling, retries and token refresh as a run. Collections are read
one after another and pages one after another (each page's link comes with the page before).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from contextlib import aclosing
from dataclasses import dataclass

from pydantic import Field

from batch.auth.base import TokenSource
from batch.auth.factory import token_refused_error
from batch.auth.token_holder import TokenHolder
from batch.graph_settings import GraphSettings
from batch.http.client import GraphClient
from batch.http.pacing import Clock, MonotonicClock, Pacer
from batch.listing.filters import ItemFilter, start_of
from batch.listing.kinds import ListKind
from batch.listing.pages import collection_items
from batch.listing.progress import LiveProgress
from batch.listing.rows import Listed
from batch.listing.sinks import Sink
from batch.listing.targets import Collection
from batch.planning.graph_reader import PLAN_RETRY_POLICY, GraphReader
from batch.settings import MAX_ATTEMPTS


class ListSettings(GraphSettings):
    """What configures one listing (same names and precedence as `run`'s settings)."""

    request_timeout: float = Field(default=60.0, gt=0, le=600)
    max_attempts: int = Field(
        default=PLAN_RETRY_POLICY.max_attempts, ge=MAX_ATTEMPTS.ge, le=MAX_ATTEMPTS.le
    )


@dataclass(frozen=True)
class ListRequest:
    """What to list and which items to keep."""

    kind: ListKind
    collections: Sequence[Collection]
    keep: ItemFilter


async def list_items(
    request: ListRequest,
    settings: ListSettings,
    tokens: TokenSource,
    sink: Sink,
    progress: LiveProgress,
    *,
    clock: Clock | None = None,
    stop: Callable[[], bool] = lambda: False,
) -> None:
    """Read every page, pass matches to `sink`; raises PageFailedError (1) or AuthError (3).

    `stop()` is asked after each item: True ends the listing there, quietly (nobody reads on).
    """
    clock = clock or MonotonicClock()
    policy = dataclasses.replace(PLAN_RETRY_POLICY, max_attempts=settings.max_attempts)
    client = GraphClient(
        settings.base_url, settings.api_version, request_timeout=settings.request_timeout
    )
    tally = progress.tally
    async with client:
        reader = GraphReader(
            client, TokenHolder(tokens), Pacer(settings.read_limit, clock), clock, policy
        )
        for collection in request.collections:
            items = collection_items(
                reader,
                collection,
                settings.api_root,
                settings.base_url,
                refused=token_refused_error(tokens),
                on_page=lambda: _page_read(progress),
            )
            async with aclosing(items):
                async for item in items:
                    tally.items += 1
                    if request.keep.by_time and start_of(item) is None:
                        tally.undated += 1
                    elif request.keep.matches(item):
                        tally.matched += 1
                        sink.add(
                            Listed(request.kind, collection.event_type, item, collection.event_id)
                        )
                    if stop():
                        return


def _page_read(progress: LiveProgress) -> None:
    progress.tally.pages += 1
    progress.update()
