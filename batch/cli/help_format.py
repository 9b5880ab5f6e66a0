"""Help text that wraps to the terminal and keeps its paragraphs (argparse does one or other)."""

from __future__ import annotations

import argparse


class ParagraphHelpFormatter(argparse.HelpFormatter):
    """Fills each blank-line-separated paragraph of a description or epilog on its own."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        fill = super()._fill_text
        paragraphs = [p for p in text.strip().split("\n\n") if p.strip()]
        return "\n\n".join(fill(p, width, indent) for p in paragraphs)
