"""Durations as people write and read them: `90m`, `1h30m`, `3m05s`, `2.5s`.

One format both ways, so what a summary prints can be pasted back into `--deadline`.
"""

from __future__ import annotations

import math
import re

_DURATION = re.compile(r"^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s)?$")


def parse_duration(text: str) -> float:
    """Seconds from `5400`, `90m`, `2h`, `1h30m` or `45s`; raises ValueError otherwise."""
    value = text.strip().lower()
    try:
        seconds = float(value)
    except ValueError:
        match = _DURATION.match(value)
        if not value or match is None:
            raise ValueError(
                f"expected a duration like 5400, 90m, 2h or 1h30m, got {text!r}"
            ) from None
        hours, minutes, secs = (float(part) if part else 0.0 for part in match.groups())
        seconds = hours * 3600 + minutes * 60 + secs
    if not (seconds > 0 and math.isfinite(seconds)):
        raise ValueError(f"a duration must be positive, got {text!r}")
    return seconds


def format_duration(seconds: float) -> str:
    """`1h02m`, `3m05s`, `42s`, or `2.5s` under ten seconds (negative counts as zero)."""
    seconds = max(0.0, seconds)
    if seconds < 10:
        return f"{seconds:.1f}s"
    hours, rest = divmod(round(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    if minutes:
        return f"{minutes}m{secs:02d}s"
    return f"{secs}s"
