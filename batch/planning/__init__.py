"""`graph-batch plan`: read each row's target and say what a run would do, changing nothing.

Public surface: `classify`/`Classification`/`PlanRow` (the pure core), `Reader`/`ReadResult`
(the one HTTP interface), `load_plan_selection`/`PlanSelection` (for `run --plan`). The plan
itself is `batch.planning.service.make_plan`, not imported here: it draws progress with rich,
which `run --plan` does not need. See docs/plan.md.
"""

from batch.planning.classify import Classification, PlanRow, classify, read_path
from batch.planning.reader import Reader, ReadResult
from batch.planning.selection import PlanSelection, load_plan, load_plan_selection

__all__ = [
    "Classification",
    "PlanRow",
    "PlanSelection",
    "ReadResult",
    "Reader",
    "classify",
    "load_plan",
    "load_plan_selection",
    "read_path",
]
