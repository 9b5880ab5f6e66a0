"""The command line reads the same everywhere: help on every flag, wrapped help, short flags."""

from __future__ import annotations

import argparse
import io

import pytest

from batch.cli import build_parser, error_text
from batch.exit_codes import ExitCode
from batch.planning.settings import PlanSettings
from batch.run.settings import RunSettings
from tests.process_helpers import run_cli


def subcommands() -> dict[str, argparse.ArgumentParser]:
    """Every subcommand's parser, by name."""
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


@pytest.mark.parametrize("command", sorted(subcommands()))
def test_every_flag_has_a_help_line(command: str) -> None:
    """No flag of any command is listed in --help without saying what it does."""
    parser = subcommands()[command]
    bare = [a.option_strings for a in parser._actions if a.option_strings and not a.help]
    assert bare == []


@pytest.mark.parametrize("command", sorted(subcommands()))
def test_help_fits_a_70_column_terminal(command: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """`--help` wraps its description and epilog to the terminal (no 300-character line)."""
    monkeypatch.setenv("COLUMNS", "70")  # what argparse sizes help by
    help_text = subcommands()[command].format_help()
    too_wide = [line for line in help_text.splitlines() if len(line) > 70]
    # argparse cannot break a single long `{a,b,c}` choice list in the usage; nothing else.
    assert [line for line in too_wide if "{" not in line] == []


@pytest.mark.parametrize(
    ("argv", "name", "value"),
    [
        (["run", "m.csv", "-y"], "yes", True),
        (["run", "m.csv", "-q"], "quiet", True),
        (["run", "m.csv", "-v"], "verbose", True),
        (["run", "m.csv", "--verbose"], "verbose", True),
        (["plan", "m.csv", "-v"], "verbose", True),
        (["plan", "m.csv", "-q"], "quiet", True),
        (["report", "a.jsonl", "-o", "json"], "format", "json"),
        (["whoami", "--output", "json"], "format", "json"),
        (["validate", "m.csv", "-o", "table"], "format", "table"),
        (["validate", "m.csv", "--format", "text"], "format", "text"),
    ],
)
def test_short_and_shared_flags(argv: list[str], name: str, value: object) -> None:
    """-y, -q, -v/--verbose and -o/--output FORMAT parse as documented."""
    assert getattr(build_parser().parse_args(argv), name) == value


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["run", "m.csv", "-o", "json"], "-o means the output format, which run does not have"),
        (["plan", "m.csv", "--output", "p.json"], "the plan file is --out PATH"),
        (["report", "a.jsonl", "-o", "report.txt"], "invalid choice: 'report.txt'"),
    ],
)
def test_output_flag_never_names_a_file(
    argv: list[str], says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """`-o` is the output format or a usage error (exit 2) saying so: never a written file."""
    with pytest.raises(SystemExit) as exc:
        build_parser().parse_args(argv)
    assert exc.value.code == 2
    assert says in capsys.readouterr().err


def test_plan_and_run_default_to_the_same_concurrency() -> None:
    """`plan --concurrency` defaults to run's 4, so a plan reads as the run will write."""
    assert PlanSettings().concurrency == RunSettings().concurrency == 4


class Terminal(io.StringIO):
    """A string stream that says it is a terminal."""

    def isatty(self) -> bool:
        """Pretend to be a terminal."""
        return True


def test_errors_wrap_on_a_terminal_and_stay_one_line_in_logs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A long error wraps at spaces to the terminal's width (URLs intact); a log gets one line."""
    monkeypatch.setenv("COLUMNS", "70")
    url = "https://aka.ms/azsdk/python/identity/defaultazurecredential/troubleshoot"
    message = "auto sign-in could not get a token: " + "tried this and that; " * 8 + url
    wrapped = error_text(message, Terminal()).splitlines()
    assert len(wrapped) > 1
    assert all(len(line) < 70 for line in wrapped if url not in line)
    assert all(line.startswith("  ") for line in wrapped[1:])
    assert url in wrapped[-1]
    assert error_text(message, io.StringIO()) == f"graph-batch: {message}"


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["valdate", "x.csv"], "unknown command 'valdate'; did you mean 'validate'?"),
        (["rn", "job.csv", "--yes"], "unknown command 'rn'; did you mean 'run'?"),
        (["frobnicate"], "unknown command 'frobnicate'; choose one of: list, validate, plan,"),
        (["--verison"], "unknown option '--verison'; did you mean '--version'?"),
        (["--hlep"], "unknown option '--hlep'; did you mean '--help'?"),
        (["--verison", "validate", "x.csv"], "unknown option '--verison'; did you mean"),
        (["-x"], "unknown option '-x'; see graph-batch --help"),
    ],
)
async def test_typos_name_the_word_and_suggest_the_command(argv: list[str], expected: str) -> None:
    """A mistyped command or top-level option: exit 2, one message naming it, a did-you-mean."""
    done = await run_cli(*argv)
    assert done.code == ExitCode.INVALID
    assert done.err.splitlines()[-1].startswith(f"graph-batch: error: {expected}")
    assert "the following arguments are required" not in done.err
    assert "Traceback" not in done.err


@pytest.mark.parametrize("argv", [["--vers"], ["--version"], ["--version", "bogus"]])
async def test_version_and_its_prefixes_still_answer(argv: list[str]) -> None:
    """`--version` (or a prefix argparse accepts) prints the version and exits 0."""
    done = await run_cli(*argv)
    assert (done.code, done.out.split()[0]) == (ExitCode.OK, "graph-batch")
