"""Every command works where POSIX is missing, as on Windows: simulated here by tests/nonposix.py.

The whole CLI runs in child Pythons without fcntl, termios, pwd, grp and resource, without
os.O_NOFOLLOW and os.O_CLOEXEC, and with an event loop whose add_signal_handler raises
NotImplementedError; Ctrl-C must still leave every row recorded, `run.finished` and exit 130.
"""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from collections import Counter
from pathlib import Path

import pytest

from batch import __version__
from batch.exit_codes import ExitCode
from tests.nonposix import POSIX_ONLY_FLAGS, POSIX_ONLY_MODULES, nonposix_env, posix_signals
from tests.process_helpers import (
    finish,
    finished_rows,
    read_banner,
    read_records,
    run_cli,
    start_cli,
    wait_for_records,
)

pytestmark = [pytest.mark.slow, posix_signals]

ROWS = 120
PROBE = f"""
import asyncio, importlib, os
for name in {POSIX_ONLY_MODULES!r}:
    try:
        importlib.import_module(name)
    except ModuleNotFoundError:
        pass
    else:
        raise SystemExit(name + " is importable")
assert not any(hasattr(os, flag) for flag in {POSIX_ONLY_FLAGS!r})
async def main():
    try:
        asyncio.get_running_loop().add_signal_handler(2, print)
    except NotImplementedError:
        return
    raise SystemExit("add_signal_handler works")
asyncio.run(main())
print("simulated")
"""


async def test_the_simulation_hides_what_windows_lacks(tmp_path: Path) -> None:
    """In the simulated Python the POSIX-only modules, flags and loop signal handlers are gone."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        PROBE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**nonposix_env(tmp_path / "sim"), "PATH": ""},
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=30)
    assert (process.returncode, out.strip()) == (0, b"simulated"), err.decode()


async def test_every_command_runs_without_posix(tmp_path: Path) -> None:
    """--help, --version, validate, sandbox, plan, whoami, run + Ctrl-C, report: all work."""
    env = nonposix_env(tmp_path / "sim")
    work = tmp_path / "work"

    async def cli(*args: str, extra: dict[str, str] | None = None) -> tuple[int, str, str]:
        done = await run_cli(*args, env={**env, **(extra or {})}, cwd=work)
        assert "Traceback" not in done.err, done.err
        return done.code, done.out, done.err

    work.mkdir()
    assert (await cli("--help"))[0] == ExitCode.OK
    assert (await cli("--version"))[1].strip() == f"graph-batch {__version__}"
    code, _, _ = await cli("sandbox", "--generate", str(ROWS), "--out", ".")
    assert code == ExitCode.OK
    code, out, _ = await cli("validate", "manifest.csv")
    assert code == ExitCode.OK, out
    assert f"{ROWS} operations" in out

    sandbox = await start_cli(
        "sandbox", "--world", "world.yaml", "--write-limit", "10/1s", env=env, cwd=work
    )
    try:
        banner = await read_banner(sandbox)
        target = {"GRAPH_ACCESS_TOKEN": banner["token"]}
        code, out, err = await cli(
            "plan", "manifest.csv", "--base-url", banner["url"], extra=target
        )
        assert code == ExitCode.OK, err
        assert "will-apply" in out
        code, out, err = await cli("whoami", "--auth", "token", extra=target)
        assert (code, "delegated" in out) == (ExitCode.OK, True), err

        run = await start_cli(
            *("run", "manifest.csv", "--yes", "--quiet", "--base-url", banner["url"]),
            *("--write-limit", "10/1s"),
            env={**env, **target},
            cwd=work,
        )
        (audit,) = await _first_audit_log(work, run)
        await wait_for_records(audit, lambda records: bool(finished_rows(records)), process=run)
        run.send_signal(signal.SIGINT)
        result = await finish(run)
        assert result.code == ExitCode.INTERRUPTED, result.err
        assert "Traceback" not in result.err
        assert "run summary" in result.out
        records = read_records(audit)
        assert Counter(r["row"] for r in finished_rows(records)) == Counter(range(2, ROWS + 2)), (
            "each row exactly one op.finished"
        )
        assert records[-1]["event"] == "run.finished"
        assert records[-1]["interrupted"] is True
        assert "not-run" in {r["reason"] for r in finished_rows(records)}

        code, out, _ = await cli("report", audit.name, "--format", "json")
        assert code in {ExitCode.OK, ExitCode.FAILED}
        (reported,) = json.loads(out)["runs"]
        assert sum(reported["counts"].values()) == ROWS
    finally:
        if sandbox.returncode is None:
            sandbox.send_signal(signal.SIGINT)
    stopped = await finish(sandbox)
    assert stopped.code == ExitCode.OK, stopped.err
    assert "sandbox stopped." in stopped.out
    assert "Traceback" not in stopped.err


async def _first_audit_log(work: Path, run: asyncio.subprocess.Process) -> list[Path]:
    """The run's default audit log in `work`, once it exists (no --audit-log: see below)."""
    loop = asyncio.get_running_loop()
    give_up = loop.time() + 20
    # Polling a directory the child writes: there is no event to wait on.
    while not (found := sorted(work.glob("graph-batch-audit-*.jsonl"))):  # noqa: ASYNC240
        assert run.returncode is None, "the run ended before writing its audit log"
        assert loop.time() < give_up, "no audit log within 20 s"
        await asyncio.sleep(0.02)
    return found
