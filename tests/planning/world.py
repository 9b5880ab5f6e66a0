"""A sandbox world and a manifest holding every kind of plan row, with the expected answers."""

from __future__ import annotations

import csv
from pathlib import Path

from batch.operations import FIELD_NAMES
from batch.planning.classify import Classification
from batch.sandbox import World

T = "72f988bf-86f1-41af-91ab-2d7cd011db47"
LIVE = f"live/1@{T}"
CANCELED = f"done@{T}"
TOWNHALL = f"th@{T}"
S1 = "s1+q&a/part@x"
S2 = "s2@x"
R1 = f"r-1@{T}"
R2 = f"r-2@{T}"
EMAIL = "Conor.O'Neil@contoso.com"

PLAN_WORLD = World.model_validate(
    {
        "webinars": [
            {
                "id": LIVE,
                "sessions": [{"id": S1}, {"id": S2}],
                "registrations": [
                    {"id": R1, "email": EMAIL, "sessions": [S1]},
                    {"id": R2, "email": "b@contoso.com", "status": "canceled"},
                ],
            },
            {"id": CANCELED, "status": "canceled"},
        ],
        "townhalls": [{"id": TOWNHALL}],
    }
)

W = Classification.WILL_APPLY
D = Classification.ALREADY_DONE
N = Classification.NOT_FOUND

EVERY_KIND: list[tuple[dict[str, str], Classification]] = [
    ({"op": "cancel", "event_id": LIVE}, W),
    ({"op": "cancel", "event_id": CANCELED}, D),
    ({"op": "cancel", "event_type": "townhall", "event_id": TOWNHALL}, W),
    ({"op": "cancel", "event_id": f"missing@{T}"}, N),
    ({"op": "remove-session", "event_id": LIVE, "registration_id": R1, "session_id": S1}, W),
    ({"op": "remove-session", "event_id": LIVE, "registration_email": EMAIL, "session_id": S1}, W),
    ({"op": "remove-session", "event_id": LIVE, "registration_id": R1, "session_id": S2}, D),
    ({"op": "remove-session", "event_id": LIVE, "registration_id": "nobody", "session_id": S1}, N),
    ({"op": "cancel-registration", "event_id": LIVE, "registration_id": R1}, W),
    ({"op": "cancel-registration", "event_id": LIVE, "registration_id": R2}, D),
    ({"op": "cancel-registration", "event_id": f"missing@{T}", "registration_id": R1}, N),
    ({"op": "get-session", "event_id": LIVE, "session_id": S1}, W),
    ({"op": "get-session", "event_id": LIVE, "session_id": "gone"}, N),
]
"""Each row and what plan must call it; rows 4 and 6 share one read (R1's sessions)."""

READS_FOR_EVERY_KIND = len(EVERY_KIND) - 1


def write_manifest(path: Path, rows: list[dict[str, str]]) -> Path:
    """Write `rows` as a CSV manifest with the standard columns."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=FIELD_NAMES)
        writer.writeheader()
        for row in rows:
            writer.writerow({"event_type": "webinar", **row})
    return path
