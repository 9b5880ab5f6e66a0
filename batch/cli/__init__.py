"""The `graph-batch` command line: parse, call, map errors to exit codes. Nothing else.

Each subcommand lives in its own module `batch.cli.NAME_cmd` exposing `register(subparsers)`;
the handler it sets as `func` returns an exit code. Only the module of the subcommand being run
is imported and builds its flags (`batch.cli.commands` lists the others for `--help`), and it
imports what its command works with inside the handler: `--help`, `--version` and `validate`
answer without loading pydantic, aiohttp, azure-identity or rich.
Expected failures arrive as `GraphBatchError` and become one line on stderr plus the documented
exit code, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import io
import os
import sys
from collections.abc import Sequence
from typing import TextIO

from batch import __version__
from batch.cli.commands import COMMANDS
from batch.cli.stdout_guard import guarded_stdout
from batch.errors import GraphBatchError
from batch.exit_codes import ExitCode

COMPLETION_REQUEST = "_ARGCOMPLETE"
"""Set when the shell asks for completions (the hook `graph-batch completion SHELL` prints)."""


def _complete(parser: argparse.ArgumentParser) -> None:
    """Answer the shell's completion request and exit; argcomplete is loaded only here."""
    import argcomplete  # a start-up cost only completion should pay

    argcomplete.autocomplete(parser)


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The argument parser. With `only` (a command name, or '' for none), just that subcommand
    gets its flags; the others are listed by name and help, which is all one invocation reads."""
    parser = argparse.ArgumentParser(
        prog="graph-batch",
        description="Apply bulk changes to Microsoft Teams virtual events through Microsoft Graph.",
    )
    parser.add_argument("--version", action="version", version=f"graph-batch {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, line in COMMANDS.items():
        if only in (None, name):
            importlib.import_module(f"batch.cli.{name}_cmd").register(subparsers)
        else:
            subparsers.add_parser(name, help=line, add_help=False)
    return parser


def _command(argv: Sequence[str]) -> str:
    """The subcommand `argv` names ('' for none): its first word that is not an option, as the
    top-level parser takes no option with a value."""
    return next((word for word in argv if not word.startswith("-")), "")


def error_text(message: str, stream: TextIO) -> str:
    """`graph-batch: message`, wrapped to a terminal's width (one line for logs and pipes)."""
    text = f"graph-batch: {message}"
    if not stream.isatty():
        return text
    import shutil
    import textwrap

    try:  # the width of the terminal `stream` is on (shutil's measures stdout, maybe a pipe)
        columns = os.get_terminal_size(stream.fileno()).columns
    except (OSError, ValueError, io.UnsupportedOperation):
        columns = shutil.get_terminal_size().columns
    width = max(40, columns - 1)
    # Never inside a URL, path or flag: only at spaces.
    return textwrap.fill(
        text, width, subsequent_indent="  ", break_long_words=False, break_on_hyphens=False
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the process exit code."""
    if COMPLETION_REQUEST in os.environ:
        _complete(build_parser())
    words = sys.argv[1:] if argv is None else list(argv)
    args = build_parser(_command(words)).parse_args(words)
    try:
        # A reader closing stdout early (`| head`) only stops the printing: see stdout_guard.
        with guarded_stdout():
            code: int = args.func(args)
    except GraphBatchError as exc:
        from batch.safe_text import for_terminal

        print(error_text(for_terminal(exc.message), sys.stderr), file=sys.stderr)
        return int(exc.exit_code)
    except KeyboardInterrupt:
        print("graph-batch: interrupted", file=sys.stderr)
        return int(ExitCode.INTERRUPTED)
    return code
