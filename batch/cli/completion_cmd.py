"""`graph-batch completion SHELL`: print the script that makes the shell complete graph-batch.

The completions themselves come from argcomplete (the shell calls graph-batch with
`_ARGCOMPLETE` set; `batch.cli.main` answers). Printing the hook from graph-batch itself means a
pipx install, which exposes no other script, can enable it too.
"""

from __future__ import annotations

import argparse
from typing import Any

from batch.cli.commands import COMMANDS
from batch.exit_codes import ExitCode

NAME = "completion"

SHELLS = ("bash", "zsh", "powershell")


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    """Add the `completion` subcommand."""
    parser = subparsers.add_parser(
        NAME,
        help=COMMANDS[NAME],
        description=(
            "Print a script that makes SHELL complete graph-batch's commands and options. "
            'bash: eval "$(graph-batch completion bash)" in ~/.bashrc; zsh: the same with '
            "zsh in ~/.zshrc; PowerShell: graph-batch completion powershell | Out-String | "
            "Invoke-Expression in $PROFILE."
        ),
    )
    parser.add_argument("shell", choices=SHELLS, metavar="SHELL", help="bash, zsh or powershell")
    parser.set_defaults(func=handle)


def handle(args: argparse.Namespace) -> int:
    """Print the hook for the chosen shell."""
    from argcomplete.shell_integration import shellcode

    print(shellcode(["graph-batch"], shell=args.shell))
    return int(ExitCode.OK)
