"""What the sandbox saw and did, so a test can prove a run applied each change exactly once."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict


class Stats(BaseModel):
    """A snapshot of the counters (the body of `GET /_sandbox/stats`).

    `requests_total`, `by_status`, `by_method` and `by_class` count logical requests: each direct
    API request and each `$batch` item (the envelope itself is counted in `batches`). A dropped
    connection has no status; it shows up in `faults` and `dropped`.
    """

    model_config = ConfigDict(frozen=True)

    requests_total: int = 0
    by_status: dict[int, int] = {}
    by_method: dict[str, int] = {}
    by_class: dict[str, int] = {}
    applied: dict[str, int] = {}
    """Applied mutations per target key, e.g. `cancel:webinars/<id>` -> 1."""
    mutations_total: int = 0
    batches: int = 0
    max_concurrent: int = 0
    in_flight: int = 0
    throttled: int = 0
    early_retries: int = 0
    faults: dict[str, int] = {}
    dropped: int = 0


@dataclass
class Recorder:
    """The mutable counters behind `Stats`; only the sandbox app writes to it."""

    requests_total: int = 0
    by_status: Counter[int] = field(default_factory=Counter)
    by_method: Counter[str] = field(default_factory=Counter)
    by_class: Counter[str] = field(default_factory=Counter)
    applied: Counter[str] = field(default_factory=Counter)
    batches: int = 0
    max_concurrent: int = 0
    in_flight: int = 0
    throttled: int = 0
    early_retries: int = 0
    faults: Counter[str] = field(default_factory=Counter)
    dropped: int = 0

    def request(self, method: str, request_class: str) -> None:
        """Count one logical request as it arrives."""
        self.requests_total += 1
        self.by_method[method] += 1
        self.by_class[request_class] += 1

    def enter(self) -> None:
        """A connection-level API request started; tracks the concurrency high-water mark."""
        self.in_flight += 1
        self.max_concurrent = max(self.max_concurrent, self.in_flight)

    def leave(self) -> None:
        """A connection-level API request finished."""
        self.in_flight -= 1

    def snapshot(self) -> Stats:
        """A frozen copy of the counters."""
        return Stats(
            requests_total=self.requests_total,
            by_status=dict(self.by_status),
            by_method=dict(self.by_method),
            by_class=dict(self.by_class),
            applied=dict(self.applied),
            mutations_total=sum(self.applied.values()),
            batches=self.batches,
            max_concurrent=self.max_concurrent,
            in_flight=self.in_flight,
            throttled=self.throttled,
            early_retries=self.early_retries,
            faults=dict(self.faults),
            dropped=self.dropped,
        )
