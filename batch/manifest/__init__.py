"""Job manifests (CSV or YAML): validate them, and stream their operations to the runner.

Public surface: `validate_manifest`, `iter_entries`, `Validation`, `Entry`, `Location` and
`Problem`. Rows are written back out as a manifest by `batch.jobctl.failures`.
"""

from batch.manifest.loader import MAX_LISTED, Validation, iter_entries, validate_manifest
from batch.manifest.problems import Problem
from batch.manifest.values import Entry, Location

__all__ = [
    "MAX_LISTED",
    "Entry",
    "Location",
    "Problem",
    "Validation",
    "iter_entries",
    "validate_manifest",
]
