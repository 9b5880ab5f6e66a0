"""Job manifests (CSV or YAML): validate them, and stream their operations to the runner.

Public surface: `validate_manifest`, `iter_entries`, `Validation`, `Entry`, `Location`,
`Problem`, and `write_csv` for writing rows back out in a manifest's own columns.
"""

from batch.manifest.loader import MAX_LISTED, Validation, iter_entries, validate_manifest
from batch.manifest.problems import Problem
from batch.manifest.values import Entry, Location
from batch.manifest.writer import write_csv

__all__ = [
    "MAX_LISTED",
    "Entry",
    "Location",
    "Problem",
    "Validation",
    "iter_entries",
    "validate_manifest",
    "write_csv",
]
