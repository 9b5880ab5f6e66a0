"""The one error tree of graph-batch.

Lower-level failures (aiohttp, azure-identity, YAML, OS) are mapped into it at the boundary where
they happen (`raise ... from exc`); the CLI alone turns these into a message and an exit code, so
an expected failure never reaches the user as a traceback.

    GraphBatchError            base; carries the exit code
    ├── UsageError             bad flags or settings (exit 2)
    ├── ManifestError          the manifest cannot be used; carries its problems (exit 2)
    ├── AuthError              no usable credential, or the token is refused (exit 3)
    ├── LockHeldError          another run holds the job's lock (exit 4)
    ├── RunInterruptedError    Ctrl-C / SIGTERM stopped the run (exit 130)
    └── TransportError         one HTTP attempt got no usable answer (connection, timeout,
                               truncated or invalid body); the runner retries it, per row
"""

from __future__ import annotations

from batch.exit_codes import ExitCode


class GraphBatchError(Exception):
    """Base of every expected failure; `exit_code` is what the CLI exits with."""

    exit_code: ExitCode = ExitCode.FAILED

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UsageError(GraphBatchError):
    """A flag, environment variable or `settings:` value is wrong; nothing was sent."""

    exit_code = ExitCode.INVALID


class ManifestError(GraphBatchError):
    """The manifest is unreadable or invalid; nothing was sent."""

    exit_code = ExitCode.INVALID


class AuthError(GraphBatchError):
    """No token could be had, or Graph refused it in a way that stops the whole run."""

    exit_code = ExitCode.AUTH


class LockHeldError(GraphBatchError):
    """Another process holds the job's lock."""

    exit_code = ExitCode.LOCKED


class RunInterruptedError(GraphBatchError):
    """The run was interrupted; what finished is in the audit log."""

    exit_code = ExitCode.INTERRUPTED


class TransportError(GraphBatchError):
    """One HTTP attempt got no usable answer; `kind` says why (`connection`, `timeout`, ...).

    The request may or may not have reached Graph, so a write that met one is ambiguous.
    `status` and `request_id` are the HTTP status and Graph's `request-id` header when an answer
    came back with an unusable body (`invalid-json`, `empty-body`, `too-large`, ...), so the
    audit log can name the answer that was refused.
    """

    def __init__(
        self, kind: str, message: str, status: int | None = None, request_id: str | None = None
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.status = status
        self.request_id = request_id
