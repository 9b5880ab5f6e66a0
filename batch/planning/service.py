"""Make a plan: read every row's target (paced, cached), classify, tally and write plan.json."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from batch.audit.records import utc_now
from batch.auth.base import TokenSource
from batch.auth.factory import token_refused_error
from batch.auth.token_holder import TokenHolder
from batch.display.progress import Progress
from batch.http.client import GraphClient
from batch.http.pacing import Clock, MonotonicClock, Pacer
from batch.http.retry_policy import RetryPolicy
from batch.manifest import Validation, iter_entries
from batch.operations import RequestClass
from batch.planning.cache import CachingReader
from batch.planning.classify import Classification, PlanRow
from batch.planning.document import PlanHeader, PlanWriter
from batch.planning.graph_reader import PLAN_RETRY_POLICY, GraphReader
from batch.planning.planner import plan_rows
from batch.planning.settings import PlanSettings
from batch.planning.tally import PlanTally


async def make_plan(
    validation: Validation,
    settings: PlanSettings,
    tokens: TokenSource,
    *,
    out: Path | None,
    clock: Clock | None = None,
    policy: RetryPolicy = PLAN_RETRY_POLICY,
    now: Callable[[], datetime] = utc_now,
    progress_to: TextIO | None = None,
    live: bool = False,
) -> PlanTally:
    """Plan the (already validated) manifest; write plan.json to `out` when given.

    With `progress_to`, progress goes there while the reads go on (`live`: a redrawn display
    for a terminal; else a line every 10 s, JSON when the settings' log format is json).
    """
    clock = clock or MonotonicClock()
    header = PlanHeader(
        manifest=validation.file,
        manifest_sha256=validation.sha256,
        created=now().astimezone(UTC),
        base_url=settings.base_url,
        api_version=settings.api_version,
        read_limit=str(settings.read_limit),
        write_limit=str(settings.write_limit),
    )
    tally = PlanTally()
    planned = sum(validation.counts_by_op.values())
    client = GraphClient(settings.base_url, settings.api_version, connections=settings.concurrency)
    async with client:
        pacer = Pacer(settings.read_limit, clock, "read")
        reader = GraphReader(client, TokenHolder(tokens), pacer, clock, policy)
        progress = None
        if progress_to is not None:
            progress = Progress(
                planned,
                progress_to,
                live=live,
                clock=clock,
                categories=[c.value for c in Classification],
                planned={RequestClass.READ: planned},
                rate=lambda _: pacer.per_second,  # the learned admitted rate
                throttled=lambda: reader.throttled,
                as_json=settings.log_format == "json",
                verb="Planning",
            )
        with ExitStack() as stack:
            writer = stack.enter_context(PlanWriter(out, header)) if out is not None else None

            def on_row(row: PlanRow) -> None:
                tally.add(row)
                if writer is not None:
                    writer.add(row)
                if progress is not None:
                    progress.row_done(row.classification.value, RequestClass.READ)

            reporter = None
            if progress is not None:
                reporter = asyncio.create_task(progress.report_until_cancelled())
            try:
                await plan_rows(
                    iter_entries(validation.file),
                    CachingReader(reader),
                    on_row,
                    concurrency=settings.concurrency,
                    refused=token_refused_error(tokens),
                )
            finally:
                if reporter is not None:
                    reporter.cancel()
                    await asyncio.gather(reporter, return_exceptions=True)
            if writer is not None:
                writer.finish(tally, settings.write_limit)
    return tally
