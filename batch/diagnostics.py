"""Diagnostic logging (retries and the like) for the CLI: structlog to stderr, quiet by default.

The audit log has its own dedicated logger (batch.audit.writer); this configures only the
global structlog setup the CLI, as the host program, owns. `GRAPH_BATCH_LOG_LEVEL=info` shows
every retry as it happens; `--log-format json` writes each event as one JSON object per line
for log collectors (journald, CI, Azure Monitor), redacted like the console lines.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping
from typing import TextIO, cast

import structlog
from structlog.typing import Processor

from batch.auth.redact import redact_secrets
from batch.settings import LogFormat

LOG_LEVEL_ENV = "GRAPH_BATCH_LOG_LEVEL"


def _renderer(log_format: LogFormat) -> Processor:
    if log_format == "json":
        return structlog.processors.JSONRenderer(sort_keys=False)
    return structlog.dev.ConsoleRenderer(colors=False)


class _CurrentStderr:
    """Whatever `sys.stderr` is at each write: while a live progress display is drawn it is a
    proxy that prints above the display, so a diagnostic line never lands inside the bar."""

    def write(self, text: str) -> int:
        """Write to the current stderr."""
        return sys.stderr.write(text)

    def flush(self) -> None:
        """Flush the current stderr."""
        sys.stderr.flush()


def configure_diagnostics(
    environ: Mapping[str, str], log_format: LogFormat = "console", *, verbose: bool = False
) -> None:
    """Send structlog events at or above GRAPH_BATCH_LOG_LEVEL (default warning) to stderr.

    `verbose` lowers the default to info; an explicit GRAPH_BATCH_LOG_LEVEL still wins.
    """
    name = environ.get(LOG_LEVEL_ENV, "info" if verbose else "warning").strip().upper()
    level = logging.getLevelNamesMapping().get(name, logging.WARNING)
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            redact_secrets,
            _renderer(log_format),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(cast(TextIO, _CurrentStderr())),
        cache_logger_on_first_use=False,
    )
