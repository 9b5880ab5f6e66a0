"""Flags spelled the same on every command: `--format`/`-o`/`--output`, `-v`/`--verbose`.

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


class _RejectOutput(argparse.Action):
    """`-o`/`--output` on a command without an output format: a usage error saying why."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: object,
        option_string: str | None = None,
    ) -> None:
        parser.error(f"{option_string} means the output format, which {self.const}")


def reject_output_argument(parser: argparse.ArgumentParser, why: str) -> None:
    """Make `-o`/`--output` a clear usage error (exit 2) on a command with no output format.

    `why` completes "-o means the output format, which ...", e.g. "run does not have: ...".
    """
    parser.add_argument(
        "-o",
        "--output",
        action=_RejectOutput,
        nargs="?",
        const=why,
        dest="output_rejected",
        help=argparse.SUPPRESS,  # exists only to explain itself
    )


def add_verbose_argument(parser: argparse.ArgumentParser) -> None:
    """`-v/--verbose`: diagnostics at info level (every retry as it happens)."""
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="show retries and other diagnostics on stderr (same as GRAPH_BATCH_LOG_LEVEL=info)",
    )
