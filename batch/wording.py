"""How a message quotes what the user wrote, and which known word they probably meant.

A leaf module (standard library only) so that the operation rules, the settings rules and the
manifest readers word their messages alike without importing one another.
"""

from __future__ import annotations

_SHOWN_CHARS = 60


def shown(value: str) -> str:
    """`value` quoted for a message, cut short so a 10 MB cell never floods a terminal."""
    if len(value) <= _SHOWN_CHARS:
        return repr(value)
    return f"{value[:_SHOWN_CHARS]!r}... ({len(value):,} characters)"


def suggest(word: str, choices: tuple[str, ...]) -> str:
    """`"; did you mean 'x'?"` when `word` looks like a typo of one of `choices`, else ''."""
    import difflib  # noqa: PLC0415 - only a manifest with a mistake pays for it

    close = difflib.get_close_matches(word.lower(), choices, n=1)
    return f"; did you mean {close[0]!r}?" if close else ""
