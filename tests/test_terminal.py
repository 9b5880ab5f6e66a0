"""The run as a person sees it in a 70x30 terminal: prompt after sign-in, live redraw, summary.

The real CLI runs in a pseudo-terminal (pexpect) against a sandbox process; what it printed is
replayed through a terminal emulator (pyte), so the assertions are about the screen a person
would read, not about escape codes.
"""

from __future__ import annotations

import asyncio
import os
import re
import sys
from pathlib import Path

import pexpect
import pyte
import pytest

from tests.process_helpers import REPO, SandboxProcess, sandbox_process, write_rehearsal

COLUMNS, LINES = 70, 30
ROWS = 40


def spawn(sandbox: SandboxProcess | None, *args: str, token: str | None) -> pexpect.spawn[str]:
    """`python -m batch ARGS` in a 70x30 pseudo-terminal, talking to `sandbox`."""
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": str(COLUMNS)}
    for name in ("NO_COLOR", "FORCE_COLOR", "GRAPH_ACCESS_TOKEN", "GRAPH_BATCH_BASE_URL"):
        env.pop(name, None)
    if token is not None:
        env["GRAPH_ACCESS_TOKEN"] = token
    if sandbox is not None:
        env["GRAPH_BATCH_BASE_URL"] = sandbox.url
    return pexpect.spawn(
        sys.executable,
        ["-m", "batch", *args],
        cwd=str(REPO),
        env=env,
        dimensions=(LINES, COLUMNS),
        encoding="utf-8",
        timeout=60,
    )


def screen_of(output: str) -> list[str]:
    """The lines a 70-column terminal shows after `output` (scrolled-off lines included)."""
    screen = pyte.HistoryScreen(COLUMNS, LINES, history=500)
    pyte.Stream(screen).feed(output.replace("\n", "\r\n").replace("\r\r\n", "\r\n"))
    history = ["".join(ch.data for ch in line.values()) for line in screen.history.top]
    return [line.rstrip() for line in (*history, *screen.display)]


async def finish(child: pexpect.spawn[str]) -> str:
    """Everything the child printed until it exited (read off the event loop)."""
    await asyncio.to_thread(child.expect, pexpect.EOF)
    child.close()
    return str(child.before)


@pytest.mark.slow
async def test_confirm_after_sign_in_then_redraw_in_place_then_summary(tmp_path: Path) -> None:
    """The prompt names who/where/what/how long; the bar redraws in place; the summary follows."""
    rehearsal = write_rehearsal(tmp_path, ROWS)
    async with sandbox_process(rehearsal.world, "--write-limit", "20/1s") as sandbox:
        child = spawn(
            sandbox,
            "run",
            str(rehearsal.job),
            "--write-limit",
            "20/1s",
            "--audit-log",
            str(tmp_path / "audit.jsonl"),
            token=sandbox.token,
        )
        await asyncio.to_thread(child.expect_exact, "Proceed? [y/N]")
        prompt = str(child.before)
        child.sendline("y")
        rest = await finish(child)
    assert child.exitstatus == 0
    shown = "\n".join(screen_of(prompt))
    for what in ("who", "organizer@contoso.com", "where", f"{sandbox.url}/v1.0", "what"):
        assert what in shown
    assert re.search(r"\d+ destructive", shown)
    assert re.search(r"time\s+at least", shown)
    lines = screen_of(prompt + "Proceed? [y/N] y\n" + rest)
    progress = [line for line in lines if "/40" in line and "━" in line]
    assert len(progress) == 1, lines  # redrawn in place: one bar line, not one per refresh
    assert re.fullmatch(r"Done ━+ 40/40 100%  in \S+", progress[0]), progress[0]
    counts = lines[lines.index(progress[0]) + 1]
    assert re.fullmatch(
        r"  succeeded \d+  already_done \d+  skipped 0  failed 0  throttled \d+", counts
    ), counts
    assert "graph-batch run summary" in lines
    assert all(len(line) <= COLUMNS for line in lines)


@pytest.mark.slow
async def test_ctrl_c_stops_without_claiming_100_percent(tmp_path: Path) -> None:
    """Ctrl-C mid-run: the display says stopped, keeps the real count, and names the rows left."""
    rehearsal = write_rehearsal(tmp_path, ROWS)
    async with sandbox_process(rehearsal.world, "--write-limit", "2/1s") as sandbox:
        child = spawn(
            sandbox,
            "run",
            str(rehearsal.job),
            "-y",
            "--write-limit",
            "2/1s",
            "--audit-log",
            str(tmp_path / "audit.jsonl"),
            token=sandbox.token,
        )
        await asyncio.to_thread(child.expect_exact, "Running")
        child.sendintr()
        output = await finish(child)
    assert child.exitstatus == 130
    lines = screen_of(output)
    progress = [line for line in lines if "/40" in line and "━" in line]
    assert len(progress) == 1, lines
    assert progress[0].startswith("Stopped (interrupted)")
    assert "40/40" not in progress[0]
    assert "100%" not in progress[0]
    assert any(re.search(r"\d+ rows not run; run again with --resume", line) for line in lines)


def test_no_prompt_before_a_failed_sign_in(tmp_path: Path) -> None:
    """Without a token the run stops at sign-in (exit 3) and never asks `Proceed?`."""
    manifest = tmp_path / "m.csv"
    manifest.write_text("op,event_id\ncancel,e1\n", encoding="utf-8")
    child = spawn(None, "run", str(manifest), "--auth", "token", token=None)
    child.expect(pexpect.EOF)
    child.close()
    output = str(child.before)
    assert child.exitstatus == 3
    assert "Proceed?" not in output
    assert "could not get a token" in output or "token" in output.lower()


@pytest.mark.slow
async def test_plan_shows_the_same_progress(tmp_path: Path) -> None:
    """`plan` on a terminal redraws one progress display while it reads, then its summary."""
    rehearsal = write_rehearsal(tmp_path, ROWS)
    async with sandbox_process(rehearsal.world, "--read-limit", "40/1s") as sandbox:
        child = spawn(
            sandbox, "plan", str(rehearsal.job), "--read-limit", "40/1s", token=sandbox.token
        )
        output = await finish(child)
    assert child.exitstatus == 0
    lines = screen_of(output)
    progress = [line for line in lines if "/40" in line and "━" in line]
    assert len(progress) == 1, lines
    assert re.fullmatch(r"Done ━+ 40/40 100%  in \S+", progress[0]), progress[0]
    counts = lines[lines.index(progress[0]) + 1]
    assert re.fullmatch(
        r" (will-)?apply \d+ (already-)?done 0 not-found 0 forbidden 0 error 0 unknown \d+ 429s 0",
        counts,
    ), counts
    assert "graph-batch plan summary" in lines


@pytest.mark.slow
async def test_diagnostics_print_above_the_live_display(tmp_path: Path) -> None:
    """With -v, retry lines scroll above the display; the display stays one intact bar line."""
    rehearsal = write_rehearsal(tmp_path, ROWS)
    faults = ("--fault", "503=0.3", "--fault-class", "write", "--seed", "1")
    async with sandbox_process(rehearsal.world, "--write-limit", "100/1s", *faults) as sandbox:
        child = spawn(
            sandbox,
            "run",
            str(rehearsal.job),
            "-y",
            "-v",
            "--write-limit",
            "100/1s",
            "--audit-log",
            str(tmp_path / "audit.jsonl"),
            token=sandbox.token,
        )
        output = await finish(child)
    assert child.exitstatus == 0
    lines = screen_of(output)
    assert any("retry" in line for line in lines)
    progress = [line for line in lines if "━" in line]
    assert len(progress) == 1, lines
    assert re.fullmatch(r"Done ━+ 40/40 100%  in \S+", progress[0]), progress[0]
    assert lines[lines.index(progress[0]) + 1].startswith("  succeeded ")


@pytest.mark.slow
async def test_ctrl_c_at_the_question_stops_at_once(tmp_path: Path) -> None:
    """Ctrl-C at `Proceed? [y/N]` ends the run then and there: exit 130, nothing sent."""
    rehearsal = write_rehearsal(tmp_path, ROWS)
    async with sandbox_process(rehearsal.world) as sandbox:
        child = spawn(sandbox, "run", str(rehearsal.job), token=sandbox.token)
        await asyncio.to_thread(child.expect_exact, "Proceed? [y/N]")
        child.sendintr()
        output = await finish(child)
        stats = await sandbox.stats()
    assert child.exitstatus == 130
    assert "nothing was sent" in output
    assert stats.requests_total == 0
