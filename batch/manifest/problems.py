"""What is wrong with a manifest, as `FILE:LINE: field: message` values the CLI can print."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    """One finding about a manifest: where it is, which field, and what to do about it."""

    file: str
    line: int | None
    field: str | None
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        what = self.message if self.field is None else f"{self.field}: {self.message}"
        prefix = "warning: " if self.severity == "warning" else ""
        return f"{where}: {prefix}{what}"
