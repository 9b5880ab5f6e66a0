"""Smoke tests for the copy-and-paste recipes in examples/ and the commands in the docs.

They fail when a recipe drifts from the CLI: every `graph-batch ...` line written in
examples/*, README.md or docs/*.md must parse with the real argument parser, every YAML recipe
must load with the structure its CI system expects, the cron line must be a valid crontab
entry, the systemd units must parse, the shell script must pass `bash -n`, and the docs must
hold an exit-code table listing exactly the codes in batch/exit_codes.py.
"""

from __future__ import annotations

import configparser
import re
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from batch.cli import build_parser
from batch.exit_codes import ExitCode
from batch.settings import GRAPH_WRITE_LIMIT, RateLimit
from tests.recipe_commands import (
    Command,
    commands_in_file,
    commands_in_line,
    cron_command,
    logical_lines,
    substitute_variables,
)

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
CRONTAB = EXAMPLES / "cron" / "crontab"
SERVICE = EXAMPLES / "systemd" / "graph-batch.service"
TIMER = EXAMPLES / "systemd" / "graph-batch.timer"
GITHUB = EXAMPLES / "github" / "graph-batch.yml"
AZURE_DEVOPS = EXAMPLES / "azure-devops" / "azure-pipelines.yml"
ONE_OFF = EXAMPLES / "one-off.sh"
RECIPES = (CRONTAB, SERVICE, TIMER, GITHUB, AZURE_DEVOPS, ONE_OFF)
DOCS = (ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")))


def _all_commands() -> list[Command]:
    files = [*sorted(p for p in EXAMPLES.rglob("*") if p.is_file()), *DOCS]
    return [command for path in files for command in commands_in_file(path, ROOT)]


ALL_COMMANDS = _all_commands()


def _commands(path: Path, subcommand: str) -> list[Command]:
    return [c for c in commands_in_file(path, ROOT) if c.subcommand == subcommand]


def _load_yaml(path: Path) -> dict[Any, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), f"{path.name}: top level is not a mapping"
    return data


def _flag(command: Command, name: str) -> str:
    """The value after `name` in a command (fails the test when the flag is missing)."""
    argv = list(command.argv)
    assert name in argv, f"{command.where}: `{command.text}` has no {name}"
    return argv[argv.index(name) + 1]


# --- every command line parses with the real parser -------------------------------------------


@pytest.mark.parametrize("command", ALL_COMMANDS, ids=[c.where for c in ALL_COMMANDS])
def test_command_parses_with_the_real_parser(
    command: Command, capsys: pytest.CaptureFixture[str]
) -> None:
    """A documented `graph-batch` command line is accepted by `build_parser()`, flags and all."""
    try:
        build_parser().parse_args(list(command.argv[1:]))
    except SystemExit as exc:
        if exc.code not in (0, None):  # --help and --version exit 0
            error = capsys.readouterr().err.strip().splitlines()[-1:]
            pytest.fail(
                f"{command.where}: the CLI rejects this documented command:\n  {command.text}\n"
                f"  argv: {list(command.argv)}\n  argparse: {' '.join(error)}"
            )


@pytest.mark.parametrize(
    ("recipe", "subcommands"),
    [
        (CRONTAB, {"run"}),
        (SERVICE, {"run"}),
        (GITHUB, {"validate", "plan", "run", "report"}),
        (AZURE_DEVOPS, {"validate", "plan", "run", "report"}),
        (ONE_OFF, {"validate", "plan", "run", "report"}),
    ],
)
def test_recipe_commands_are_found(recipe: Path, subcommands: set[str]) -> None:
    """The extractor finds each recipe's commands, so the parse test above really covers it."""
    found = {c.subcommand for c in commands_in_file(recipe, ROOT)}
    assert subcommands <= found, f"{recipe.name}: no {sorted(subcommands - found)} command found"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("graph-batch run a.csv --yes", [("graph-batch", "run", "a.csv", "--yes")]),
        ("$ graph-batch validate x.csv", [("graph-batch", "validate", "x.csv")]),
        (
            "  - run: graph-batch plan m.csv --out p.json",
            [("graph-batch", "plan", "m.csv", "--out", "p.json")],
        ),
        (
            "ExecStart=/opt/gb/bin/graph-batch run j.csv --quiet",
            [("graph-batch", "run", "j.csv", "--quiet")],
        ),
        (
            "cd /srv/graph-batch && graph-batch run t.csv >> out.log 2>&1 || echo failed",
            [("graph-batch", "run", "t.csv")],
        ),
        (
            "graph-batch run a.csv; graph-batch report a.jsonl | tee r.txt",
            [("graph-batch", "run", "a.csv"), ("graph-batch", "report", "a.jsonl")],
        ),
        (
            "sudo -u svc HOME=/var/lib/x graph-batch login --allow-unencrypted",
            [("graph-batch", "login", "--allow-unencrypted")],
        ),
        ("graph-batch run a.csv 2>/dev/null", [("graph-batch", "run", "a.csv")]),
        ("graph-batch run 'my jobs.csv'  # trailing note", [("graph-batch", "run", "my jobs.csv")]),
        ("# graph-batch run commented.csv", []),
        ("graph-batch: another run of this job holds the lock", []),
        ("WorkingDirectory=/srv/graph-batch", []),
        ("pip install graph-batch", []),
        ("cd /srv/graph-batch", []),
    ],
)
def test_commands_in_line(line: str, expected: list[tuple[str, ...]]) -> None:
    """Commands are found only in command position and end at the first shell operator."""
    assert commands_in_line(line) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("--shard ${{ matrix.shard }}/3", "--shard 1/3"),
        (
            '"$MANIFEST" --audit-log "$(Build.ArtifactStagingDirectory)/a.jsonl"',
            '"sample" --audit-log "sample/a.jsonl"',
        ),
        ("--shard $((JOB_COMPLETION_INDEX + 1))/$N", "--shard 1/sample"),
        ("--concurrency ${CONCURRENCY:-8} --x ${Y}", "--concurrency 8 --x sample"),
        ("--concurrency $GRAPH_BATCH_CONCURRENCY", "--concurrency sample"),
    ],
)
def test_substitute_variables(text: str, expected: str) -> None:
    """Pipeline expressions, arithmetic and shell variables become sample values."""
    assert substitute_variables(text) == expected


def test_logical_lines_join_continuations() -> None:
    """A backslash at the end of a line joins the next one; the first line's number is kept."""
    lines = [(1, "graph-batch run a.csv \\"), (2, "  --yes \\"), (3, "  --quiet"), (4, "next")]
    joined = list(logical_lines(lines))
    assert [number for number, _ in joined] == [1, 4]
    assert shlex.split(joined[0][1]) == ["graph-batch", "run", "a.csv", "--yes", "--quiet"]


_WORD = st.text(alphabet=st.sampled_from("abcXYZ019-_./:,@= "), min_size=1, max_size=12)


@given(st.lists(_WORD, max_size=6))
def test_quoted_arguments_round_trip(words: list[str]) -> None:
    """Any argv written with shell quoting comes back word for word."""
    line = shlex.join(["graph-batch", "run", *words])
    assert commands_in_line(line) == [("graph-batch", "run", *words)]


# --- YAML recipes ------------------------------------------------------------------------------


def test_github_workflow_structure() -> None:
    """The workflow loads, asks for an OIDC token, and has jobs with steps, sharded 1..N."""
    workflow = _load_yaml(GITHUB)
    assert workflow.get("on", workflow.get(True)), "no trigger (`on:`)"  # YAML 1.1: on == True
    assert workflow["permissions"]["id-token"] == "write"
    jobs = workflow["jobs"]
    assert jobs
    for name, job in jobs.items():
        assert job["steps"], f"job {name} has no steps"
        assert all("run" in step or "uses" in step for step in job["steps"]), name
    shards = [job["strategy"]["matrix"]["shard"] for job in jobs.values() if "strategy" in job]
    assert shards == [list(range(1, len(shards[0]) + 1))], "matrix.shard must be 1..N"


def test_github_shards_share_the_write_budget() -> None:
    """Each shard's --shard K/N matches the matrix and its --write-limit is Graph's divided by N."""
    (run,) = _commands(GITHUB, "run")
    matrix = next(j for j in _load_yaml(GITHUB)["jobs"].values() if "strategy" in j)
    count = len(matrix["strategy"]["matrix"]["shard"])
    assert "${{ matrix.shard }}/" in run.text
    assert _flag(run, "--shard") == f"1/{count}"
    limit = RateLimit.parse(_flag(run, "--write-limit"))
    assert limit.per_second * count <= GRAPH_WRITE_LIMIT.per_second
    assert {"--yes", "--audit-log", "--failures-csv"} <= set(run.argv)


def _steps(workflow: dict[Any, Any]) -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = workflow.get("steps", [])
    for job in workflow.get("jobs", {}).values():
        steps.extend(job.get("steps", []))
    return steps


def test_github_publishes_the_junit_report_and_audit_log() -> None:
    """The JUnit file `report -o` writes is the one published; audit logs are uploaded always."""
    (report,) = _commands(GITHUB, "report")
    assert _flag(report, "--format") == "junit"
    steps = _steps(_load_yaml(GITHUB))
    publish = [s for s in steps if re.search(r"junit|test-reporter", s.get("uses", ""))]
    assert publish, "no JUnit publishing step"
    assert substitute_variables(publish[0]["with"]["report_paths"]) == _flag(report, "--out")
    uploads = [s for s in steps if s.get("uses", "").startswith("actions/upload-artifact")]
    assert any(s.get("if") == "always()" and ".jsonl" in s["with"]["path"] for s in uploads)


def test_azure_pipeline_structure() -> None:
    """The pipeline fetches a Graph token with AzureCLI@2, maps it, runs, publishes JUnit."""
    steps = _steps(_load_yaml(AZURE_DEVOPS))
    tasks = {step.get("task"): step for step in steps if "task" in step}
    assert "ms-graph" in tasks["AzureCLI@2"]["inputs"]["inlineScript"]
    assert "issecret=true" in tasks["AzureCLI@2"]["inputs"]["inlineScript"]
    assert any("GRAPH_ACCESS_TOKEN" in step.get("env", {}) for step in steps if "script" in step)
    publish = tasks["PublishTestResults@2"]
    assert publish["inputs"]["testResultsFormat"] == "JUnit"
    assert publish["condition"] == "succeededOrFailed()"
    (junit,) = [c for c in _commands(AZURE_DEVOPS, "report") if "--out" in c.argv]
    assert Path(_flag(junit, "--out")).name == publish["inputs"]["testResultsFiles"]


# --- cron, systemd, shell ----------------------------------------------------------------------

_CRON_FIELD = re.compile(r"^(\*|\d+(-\d+)?)(/\d+)?(,(\*|\d+(-\d+)?)(/\d+)?)*$")


def test_crontab_line() -> None:
    """One entry: five valid time fields, then a self-locking `run` with the nightly flags."""
    text = CRONTAB.read_text(encoding="utf-8")
    entries = [line for line in text.splitlines() if cron_command(line) is not None]
    assert len(entries) == 1, entries
    fields = entries[0].split()[:5]
    assert all(_CRON_FIELD.match(field) for field in fields), fields
    (run,) = _commands(CRONTAB, "run")
    assert {"--yes", "--quiet", "--resume", "--audit-log", "--failures-csv"} <= set(run.argv)
    assert _flag(run, "--auth") == "device-code"
    command = cron_command(entries[0]) or ""
    assert "flock" not in command, "run locks the job itself"
    assert "%" not in command, "cron turns % into a newline"
    assert ">>" in command, "output should go to a log file"
    assert re.search(r"^MAILTO=", text, re.MULTILINE)


def _unit(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keep systemd's keys
    parser.read_string(path.read_text(encoding="utf-8"))
    return parser


def test_systemd_service() -> None:
    """A hardened oneshot whose ExecStart runs graph-batch and which treats exit 1 as failure."""
    service = _unit(SERVICE)["Service"]
    assert service["Type"] == "oneshot"
    assert "graph-batch run" in " ".join(service["ExecStart"].split())
    assert service["WorkingDirectory"]
    assert service["NoNewPrivileges"] == "yes"
    assert service["PrivateTmp"] == "yes"
    success = set(service.get("SuccessExitStatus", "").split())
    failures = {str(int(code)) for code in ExitCode if code != ExitCode.OK}
    assert not success & (failures - {str(int(ExitCode.LOCKED))}), success
    (run,) = _commands(SERVICE, "run")
    assert {"--yes", "--quiet", "--resume", "--audit-log", "--failures-csv"} <= set(run.argv)


def test_systemd_timer() -> None:
    """The timer fires daily and starts the service."""
    timer = _unit(TIMER)
    assert timer["Timer"]["OnCalendar"]
    assert timer["Timer"].get("Unit", TIMER.with_suffix(".service").name) == SERVICE.name
    assert timer["Install"]["WantedBy"] == "timers.target"


def test_one_off_script_is_valid_bash() -> None:
    """`bash -n` accepts the one-off script, and it is executable."""
    bash = shutil.which("bash")
    assert bash is not None
    result = subprocess.run(  # noqa: S603  # fixed argv, our own file
        [bash, "-n", str(ONE_OFF)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert ONE_OFF.stat().st_mode & 0o111


# --- the exit-code table -----------------------------------------------------------------------


def _tables(text: str) -> list[list[list[str]]]:
    """Markdown tables as rows of stripped cells (the separator row left out)."""
    tables: list[list[list[str]]] = []
    current: list[list[str]] = []
    for line in [*text.splitlines(), ""]:
        if line.lstrip().startswith("|"):
            cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
            if not all(set(cell) <= set(":- ") for cell in cells):
                current.append(cells)
        elif current:
            tables.append(current)
            current = []
    return tables


def exit_code_tables(text: str) -> list[set[int]]:
    """The codes listed in each table whose first header cell says `exit code` (or `code`)."""
    found = []
    for header, *rows in _tables(text):
        if header[0].lower().strip("*` ") in ("exit code", "code", "exit"):
            cells = [row[0].strip("*` ") for row in rows]
            found.append({int(cell) for cell in cells if cell.isdigit()})
    return found


def test_exit_code_table_parser() -> None:
    """The table parser reads codes from the first column, bold or backticked."""
    text = "| exit code | meaning |\n|---|---|\n| **0** | ok |\n| `130` | stop |\n\n| a |\n|-|\n"
    assert exit_code_tables(text) == [{0, 130}]


def test_docs_have_a_complete_exit_code_table() -> None:
    """README.md or a docs/*.md lists exactly ExitCode's codes in one table; none lists others."""
    codes = {int(code) for code in ExitCode}
    tables = {path.name: exit_code_tables(path.read_text(encoding="utf-8")) for path in DOCS}
    unknown = {name: t - codes for name, ts in tables.items() for t in ts if t - codes}
    assert not unknown, f"exit-code tables list codes batch/exit_codes.py lacks: {unknown}"
    complete = [name for name, ts in tables.items() if codes in ts]
    assert complete, (
        f"no Markdown table with first header cell `exit code` listing exactly {sorted(codes)} "
        f"(the codes in batch/exit_codes.py) in README.md or docs/*.md; found {tables}"
    )
