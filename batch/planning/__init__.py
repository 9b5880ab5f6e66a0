"""`graph-batch plan`: read each row's target and say what a run would do, changing nothing.

Public surface: `make_plan` (the plan itself), `classify`/`Classification`/`PlanRow` (the pure
core), `Reader`/`ReadResult` (the one HTTP interface), `load_plan_selection`/`PlanSelection`
(for `run --plan`). See docs/plan.md.
"""

from batch.planning.classify import Classification, PlanRow, classify, read_path
from batch.planning.reader import Reader, ReadResult
from batch.planning.selection import PlanSelection, load_plan, load_plan_selection
from batch.planning.service import make_plan

__all__ = [
    "Classification",
    "PlanRow",
    "PlanSelection",
    "ReadResult",
    "Reader",
    "classify",
    "load_plan",
    "load_plan_selection",
    "make_plan",
    "read_path",
]
