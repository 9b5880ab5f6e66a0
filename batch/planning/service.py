"""Make a plan: read every row's target (paced, cached), classify, tally and write plan.json."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

from batch.audit.records import utc_now
from batch.auth.base import TokenSource
from batch.auth.factory import token_refused_error
from batch.manifest import Validation, iter_entries
from batch.planning.cache import CachingReader
from batch.planning.classify import PlanRow
from batch.planning.document import PlanHeader, PlanWriter
from batch.planning.http_reader import HttpReader, ReadPolicy
from batch.planning.planner import plan_rows
from batch.planning.settings import PlanSettings
from batch.planning.tally import PlanTally
from batch.planning.window import Clock, MonotonicClock, SlidingWindow


async def make_plan(
    validation: Validation,
    settings: PlanSettings,
    tokens: TokenSource,
    *,
    out: Path | None,
    clock: Clock | None = None,
    policy: ReadPolicy | None = None,
    now: Callable[[], datetime] = utc_now,
) -> PlanTally:
    """Plan the (already validated) manifest; write plan.json to `out` when given."""
    clock = clock or MonotonicClock()
    window = SlidingWindow(settings.read_limit, clock)
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
    async with HttpReader(settings.api_root, tokens, window, clock, policy or ReadPolicy()) as http:
        with ExitStack() as stack:
            writer = stack.enter_context(PlanWriter(out, header)) if out is not None else None

            def on_row(row: PlanRow) -> None:
                tally.add(row)
                if writer is not None:
                    writer.add(row)

            await plan_rows(
                iter_entries(validation.file),
                CachingReader(http),
                on_row,
                concurrency=settings.concurrency,
                refused=token_refused_error(tokens),
            )
            if writer is not None:
                writer.finish(tally, settings.write_limit)
    return tally
