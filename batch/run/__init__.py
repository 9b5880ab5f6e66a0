"""`graph-batch run`: from a validated manifest to one audited outcome per row."""
