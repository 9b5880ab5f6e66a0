"""Seeded fault injection: which fault (if any) hits the next API request.

One uniform draw per eligible request from `random.Random(seed)` makes a run reproducible: the
same seed and the same request order give the same faults.
"""

from __future__ import annotations

import random

from batch.operations import RequestClass
from batch.sandbox.answers import Answer
from batch.sandbox.config import FAULT_KINDS, STATUS_FAULTS, FaultConfig


class FaultPicker:
    """Draws faults from a seeded generator according to a FaultConfig."""

    def __init__(self, config: FaultConfig, seed: int) -> None:
        self._config = config
        self._rng = random.Random(f"faults-{seed}")  # noqa: S311 - reproducible faults

    @property
    def active(self) -> bool:
        """Whether any fault has a non-zero probability."""
        return any(self._config.probability(kind) > 0 for kind in FAULT_KINDS)

    def pick(self, request_class: RequestClass | None, *, status_only: bool = False) -> str | None:
        """The fault for one request, or None; `request_class` None is a `$batch` envelope.

        `status_only` restricts to plain error answers (used for `$batch` items, which cannot
        drop a connection of their own).
        """
        if not self.active:
            return None
        only = self._config.only_class
        if only is not None and request_class is not only:
            return None
        draw = self._rng.random()
        cumulative = 0.0
        for kind in FAULT_KINDS:
            cumulative += self._config.probability(kind)
            if draw < cumulative:
                return None if status_only and kind not in STATUS_FAULTS else kind
        return None

    def slow_seconds(self) -> float:
        """How long a `slow` fault delays its request: base plus uniform jitter."""
        jitter = self._rng.uniform(0, self._config.slow_jitter_ms)
        return (self._config.slow_ms + jitter) / 1000

    def status_answer(self, kind: str) -> Answer:
        """The error answer of a status fault (`500`, `503`, `503-retry-after`, ...)."""
        status = int(kind[:3])
        headers = {}
        if kind.endswith("retry-after"):
            headers["Retry-After"] = str(self._config.retry_after_seconds)
        if status == 500:
            return Answer.error(500, "InternalServerError", "Sandbox fault: internal error.")
        if status == 503:
            return Answer.error(
                503, "ServiceUnavailable", "Sandbox fault: service unavailable.", headers
            )
        return Answer.error(504, "GatewayTimeout", "Sandbox fault: gateway timeout.", headers)
