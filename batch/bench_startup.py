"""`make bench`, start-up part: how long `--help`, `--version` and `validate` take to answer.

An admin runs these by hand and CI runs `validate` on every push, so they must not wait for
pydantic, aiohttp, azure-identity and the rest of the run machinery to load (target: 0.15 s
each). `validate` is timed on the same 10 generated rows (emails included) as a CSV and as a
YAML manifest with a `settings:` block, which also loads PyYAML and checks the settings. Each
command is run as its own `python -m batch` process, as a user would start it; the median of
RUNS runs is printed, after one unmeasured run that fills the bytecode cache. Beside the wall
time, the child's CPU time (user + system, where the platform reports it): on a machine shared
with other work it moves far less than the wall time does.
"""

from __future__ import annotations

import csv
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUNS = int(os.environ.get("BENCH_STARTUP_RUNS", "15"))
TARGET_SECONDS = 0.15
MANIFEST_ROWS = 10


SETTINGS = {"concurrency": 4, "write_limit": "15/30s", "max_destructive": 10, "deadline": 3600}
"""The YAML case's `settings:` block, as a job file would carry it."""

_ENV = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
"""The children may write bytecode, so the warm-up run leaves them what an install leaves."""


def _command(*argv: str) -> list[str]:
    return [sys.executable, "-m", "batch", *argv]


def _children_cpu() -> float:
    times = os.times()
    return times.children_user + times.children_system


def median_seconds(argv: list[str], runs: int = RUNS) -> tuple[float, float]:
    """Median (wall, CPU) seconds of `runs` runs of `python -m batch ARGV`, after a warm-up."""
    walls, cpus = [], []
    for attempt in range(runs + 1):
        cpu, started = _children_cpu(), time.perf_counter()
        subprocess.run(_command(*argv), check=True, capture_output=True, env=_ENV)  # noqa: S603
        if attempt:
            walls.append(time.perf_counter() - started)
            cpus.append(_children_cpu() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def write_yaml_twin(manifest: Path) -> Path:
    """The CSV `manifest` as a YAML job with a `settings:` block, written beside it."""
    import yaml  # noqa: PLC0415 - the parent only; the timed children import what they need

    with manifest.open(encoding="utf-8", newline="") as rows:
        operations = [{k: v for k, v in row.items() if v} for row in csv.DictReader(rows)]
    job = {"version": 1, "settings": SETTINGS, "operations": operations}
    twin = manifest.with_suffix(".yaml")
    twin.write_text(yaml.safe_dump(job, sort_keys=False), encoding="utf-8")
    return twin


def main() -> int:
    """Print one line per command; exit 0 (the figures are information, not a gate)."""
    with tempfile.TemporaryDirectory() as work:
        generate = _command("sandbox", "--generate", str(MANIFEST_ROWS), "--out", work)
        subprocess.run(generate, check=True, capture_output=True, env=_ENV)  # noqa: S603
        manifest = Path(work) / "manifest.csv"
        commands = {
            "--help": ["--help"],
            "--version": ["--version"],
            f"validate ({MANIFEST_ROWS} rows, CSV)": ["validate", str(manifest)],
            f"validate ({MANIFEST_ROWS} rows, YAML)": ["validate", str(write_yaml_twin(manifest))],
        }
        print(f"Start-up, median of {RUNS} runs (target <= {TARGET_SECONDS:.2f} s):")
        for name, argv in commands.items():
            wall, cpu = median_seconds(argv)
            verdict = "ok" if wall <= TARGET_SECONDS else "SLOW"
            print(f"  graph-batch {name:<27} {wall:6.3f} s  {verdict:<4}  (CPU {cpu:.3f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
