"""The one gate text passes on its way out of graph-batch: secrets masked, terminals and
spreadsheets kept safe.

Every printer and writer calls it for text it did not write itself (a server's error message, an
id, a label, a file name): failures CSV, plan, report (table, JSON, JUnit), run summary,
diagnostics, stderr messages, the audit log (progress lines hold only numbers). Three dangers,
three helpers:

- secrets: `redact` masks every token this process holds (opaque ones too), also URL-encoded,
  base64'd or cut to a part of 16+ characters, and anything token-shaped (`batch.auth.redact`);
- terminals: `for_terminal` escapes control characters the way `repr` does (C0, DEL, C1, ESC
  sequences, bidi overrides such as U+202E, zero-width and line-separator characters), so text
  can neither clear a screen, retitle a window nor reorder what a reader sees;
- spreadsheets: `csv_cell` neutralises a cell a spreadsheet would run as a formula (it starts
  with `=`, `+`, `-`, `@`, tab or CR: OWASP's CSV-injection guidance) by prefixing `'`, and
  `csv_cell_read` undoes exactly that prefix for files graph-batch wrote, so a failures CSV
  read back as a manifest gives the same ids (see docs/operability.md).
"""

from __future__ import annotations

import json
from typing import Any

from batch.auth.redact import redact_text

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet cell a formula (OWASP CSV injection)."""
GUARD = "'"
"""Prefix that makes a spreadsheet read a cell as text; also added before a leading `'`, so
reading removes exactly one and the value round-trips."""
_GUARDED = (*FORMULA_STARTS, GUARD)


def redact(text: str) -> str:
    """`text` with every known secret and anything token-shaped replaced by `<redacted>`."""
    return redact_text(text)


def escape_controls(text: str) -> str:
    """`text` with every non-printable character written as `repr` writes it (`\\x1b`)."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)


def for_terminal(text: str, *, keep_newlines: bool = False) -> str:
    """`text` redacted and control-escaped for a terminal; `keep_newlines` for multi-line text."""
    text = redact(text)
    if keep_newlines:
        return "\n".join(escape_controls(line) for line in text.split("\n"))
    return escape_controls(text)


def json_text(document: Any, **dumps_args: Any) -> str:
    """`document` as JSON safe to print: redacted, and no raw control or bidi characters."""
    return json_safe(json.dumps(document, ensure_ascii=False, **dumps_args))


def json_safe(text: str) -> str:
    """Rendered JSON `text` redacted, with every non-printable character `\\u`-escaped.

    `json.dumps` escapes C0 but leaves C1, bidi overrides and line separators raw; outside the
    ASCII structure they can only stand inside strings, so each is written as a `\\uXXXX` escape
    and the text stays the same JSON. The masks contain nothing JSON would escape.
    """
    text = redact(text)
    if text.replace("\n", "").isprintable():
        return text
    return "".join(ch if ch.isprintable() or ch == "\n" else _json_escape(ch) for ch in text)


def _json_escape(ch: str) -> str:
    """`\\uXXXX` (a surrogate pair beyond the BMP), as `json.dumps` with `ensure_ascii` writes."""
    return json.dumps(ch)[1:-1] if ord(ch) > 0x7F else f"\\u{ord(ch):04x}"


def csv_cell(value: str) -> str:
    """A cell value made safe for a spreadsheet: redacted and, when it could run, guarded."""
    value = redact(value)
    return GUARD + value if value.startswith(_GUARDED) else value


def csv_cell_read(value: str) -> str:
    """The value `csv_cell` guarded (one leading `'` before `=+-@`, tab, CR or `'` removed)."""
    if value.startswith(GUARD) and value[1:].startswith(_GUARDED):
        return value[1:]
    return value
