"""The subcommands and their one-line help: what `graph-batch --help` lists.

Standard library only, and the command modules themselves are not imported here: `batch.cli`
imports `batch.cli.NAME_cmd` (which builds the command's flags and runs it) only for the command
being run, so `--help`, `--version` and `validate` start fast.
"""

from __future__ import annotations

COMMANDS: dict[str, str] = {
    "list": "list events, sessions or registrations; write the matches as a job manifest",
    "validate": "check job manifests without sending anything",
    "plan": "read each row's target and show what a run would do (changes nothing)",
    "run": "apply a job manifest to Microsoft Graph",
    "report": "summarize a run from its audit log (table, JSON or JUnit XML)",
    "sandbox": "run a local Graph emulator to rehearse a job safely",
    "login": "sign in once with a device code (for cron and repeated runs)",
    "logout": "remove the saved sign-in and its token cache",
    "whoami": "show who the Graph token speaks for (never the token)",
    "demo": "find targets with list, then run them against a local sandbox with faults",
    "completion": "print the tab-completion hook for bash, zsh or PowerShell",
}
"""Each subcommand (in the order `--help` lists them) and its line there."""
