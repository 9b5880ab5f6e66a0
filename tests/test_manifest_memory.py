"""Validating a large CSV runs in near-constant memory (compact duplicate fingerprints)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROWS = 200_000

# Runs in a fresh interpreter so the peak RSS is this validation's alone; tracemalloc would be
# more exact but makes the run several times slower.
_MEASURE = """
import resource, sys
from batch.manifest import validate_manifest
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
validation = validate_manifest(sys.argv[1])
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
duplicates = ",".join(map(str, sorted(validation.duplicate_indexes))) or "-"
print(validation.ok, validation.operation_count, duplicates, after - before)
"""


@pytest.mark.slow
def test_200k_rows_validate_in_small_memory(tmp_path: Path) -> None:
    """Peak memory growth stays far below what keeping every row or key would need."""
    path = tmp_path / "big.csv"
    with path.open("w", encoding="utf-8") as stream:
        stream.write("op,event_type,event_id,x-ticket\n")
        for row in range(ROWS):
            stream.write(f"cancel,webinar,{row:08x}-4b7e-4f3a-9c1d@72f988bf-86f1-41af,T-{row}\n")
        stream.write("cancel,webinar,00000000-4b7e-4f3a-9c1d@72f988bf-86f1-41af,again\n")
    done = subprocess.run(  # noqa: S603 - our own interpreter, fixed code.
        [sys.executable, "-c", _MEASURE, str(path)],
        capture_output=True,
        text=True,
        check=True,
        timeout=110,
    )
    ok, count, duplicates, growth_kib = done.stdout.split()
    assert (ok, count, duplicates) == ("True", str(ROWS + 1), str(ROWS))
    # ~16 bytes/row of fingerprints is 3.2 MB; a set of keys alone would be well over 40 MB.
    assert int(growth_kib) < 16 * 1024, f"grew {growth_kib} KiB"
