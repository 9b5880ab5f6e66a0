"""`--format`/`-o`/`--output`: the output format, spelled the same on every command.

`-o json` is an az CLI habit; here it always means the format, never a file (files are
`--out PATH`), so `report x.jsonl -o json` prints JSON instead of writing a file named `json`.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence


def add_format_argument(
    parser: argparse.ArgumentParser, formats: Sequence[str], *, aliases: Sequence[str] = ()
) -> None:
    """Add `--format/-o/--output {formats}` (default the first); `aliases` also accepted."""
    parser.add_argument(
        "--format",
        "-o",
        "--output",
        dest="format",
        choices=(*formats, *aliases),
        default=formats[0],
        metavar="{" + ",".join(formats) + "}",
        help=f"output format ({formats[0]})",
    )
