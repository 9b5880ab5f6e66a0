"""A Graph answer as a plain value, and the Graph-shaped error body every failure uses."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

JsonObject = dict[str, Any]


@dataclass(frozen=True)
class Answer:
    """What one logical request gets back, before it is written as HTTP or as a `$batch` item."""

    status: int
    body: JsonObject | None = None
    headers: dict[str, str] = field(default_factory=dict)
    corrupt: bool = False
    """Send the body truncated (the `bad-json` fault)."""

    @classmethod
    def error(
        cls, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> Answer:
        """A Graph error answer; `innerError` is filled in by `stamp` once ids are known."""
        return cls(status, {"error": {"code": code, "message": message}}, dict(headers or {}))

    def stamp(self, request_id: str, client_request_id: str, now: datetime) -> Answer:
        """Add Graph's `innerError` (date and request ids) to an error body."""
        if self.body is None or "error" not in self.body:
            return self
        inner = {
            "date": now.strftime("%Y-%m-%dT%H:%M:%S"),
            "request-id": request_id,
            "client-request-id": client_request_id,
        }
        return replace(self, body={"error": {**self.body["error"], "innerError": inner}})


NO_CONTENT = Answer(204)
