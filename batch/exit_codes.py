"""The process exit codes: a contract that admins' scripts branch on (documented in the README)."""

from enum import IntEnum


class ExitCode(IntEnum):
    """Every code graph-batch exits with; values never change, new ones are only added."""

    OK = 0
    """Every row succeeded, was already done, or was skipped (or: the manifest is valid)."""
    FAILED = 1
    """The run finished but one or more rows failed."""
    INVALID = 2
    """Invalid manifest or usage error; nothing was sent."""
    AUTH = 3
    """Authentication or authorization failure that stopped the run."""
    LOCKED = 4
    """Another run of the same job holds the lock."""
    UNFINISHED = 5
    """`report`: a reported run never wrote `run.finished` (crashed, killed, or still running)."""
    INTERRUPTED = 130
    """Interrupted by Ctrl-C or SIGTERM; in-flight rows were recorded."""
