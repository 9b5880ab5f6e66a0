"""Diagnostic logging (retries and the like) for the CLI: structlog to stderr, quiet by default.

The audit log has its own dedicated logger (batch.audit.writer); this configures only the
global structlog setup the CLI, as the host program, owns. `GRAPH_BATCH_LOG_LEVEL=info` shows
every retry as it happens.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping

import structlog

from batch.auth.redact import redact_secrets

LOG_LEVEL_ENV = "GRAPH_BATCH_LOG_LEVEL"


def configure_diagnostics(environ: Mapping[str, str]) -> None:
    """Send structlog events at or above GRAPH_BATCH_LOG_LEVEL (default warning) to stderr."""
    name = environ.get(LOG_LEVEL_ENV, "warning").strip().upper()
    level = logging.getLevelNamesMapping().get(name, logging.WARNING)
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            redact_secrets,
            structlog.dev.ConsoleRenderer(colors=False),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        cache_logger_on_first_use=False,
    )
