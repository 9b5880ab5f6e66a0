"""`graph-batch list`: page through Graph's virtual-events collections and turn what matches a
filter into a table, CSV, JSON or a job manifest that `run` runs as it is.

Stages, one way: targets (which collection, which path) -> pages (paced, retried GETs following
`@odata.nextLink` on the base URL's origin only) -> filters (pure, client-side) -> rows (an item
as table columns or a manifest row) -> sinks (where rows are written). See docs/list.md.
This package's `__init__` imports nothing, so the command line starts fast.
"""
