"""Generate a world and a matching manifest of N valid operations, for demos and benchmarks.

Targets never overlap: an event that gets canceled has no other operation, each registration is
used by one operation, and each session is read at most once, so every row is valid whatever
order a runner applies them in.

Every event has a display name, start and end times, its organizer and co-organizers, so
`graph-batch list` has something to filter. Bystander events (organized by colleagues, drafts,
already canceled) are in the world but never in the manifest: a job built with `list` must
leave them alone. Names, times and people come from a random stream of their own, so the ids
and rows a seed gives are the same as before they existed.
"""

from __future__ import annotations

import base64
import random
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from batch.operations import FIELD_NAMES
from batch.sandbox.world import (
    DEFAULT_START,
    Event,
    Registration,
    Session,
    TokenSpec,
    User,
    World,
)

ORGANIZER = "organizer@contoso.com"
COLLEAGUES = ("megan.bowen@contoso.com", "alex.wilber@contoso.com", "lidia.holloway@contoso.com")
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
_TOPICS = (
    "Quarterly product update",
    "Onboarding for new managers",
    "Security awareness",
    "All-hands",
    "Customer roadmap",
    "Holiday kickoff",
)
_WEIGHTS = {"cancel": 1, "remove-session": 4, "cancel-registration": 2, "get-session": 3}
_SESSIONS_PER_EVENT = 3
_REGISTRATIONS_PER_EVENT = 25
_SURNAMES = ("smith", "garcia", "o'neil", "nguyen", "müller", "d'arcy", "kowalski", "okafor")


@dataclass
class _Draft:
    """An event being built: mutable until the world is frozen."""

    kind: str
    event: Event
    registrations: list[Registration] = field(default_factory=list)
    unread_sessions: list[str] = field(default_factory=list)


class _Generator:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(f"world-{seed}")  # noqa: S311 - reproducible worlds
        self.looks = random.Random(f"looks-{seed}")  # noqa: S311 - names, times, people
        self.drafts: list[_Draft] = []
        self.open: list[_Draft] = []
        self.rows: list[dict[str, str]] = []
        self.people = 0

    def guid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def new_event(self, *, cancelable: bool) -> _Draft:
        kind = self.rng.choice(("webinar", "webinar", "townhall"))
        start = DEFAULT_START + timedelta(days=len(self.drafts))
        sessions = tuple(
            Session(
                # Real session ids are long opaque strings; base64 brings `+` and `/` into play.
                id=base64.b64encode(self.rng.randbytes(18)).decode("ascii") + f"@{TENANT}",
                subject=f"Part {n + 1}",
                start=start + timedelta(hours=n),
                join_web_url=f"https://teams.microsoft.com/l/meetup-join/{self.guid()}",
            )
            for n in range(_SESSIONS_PER_EVENT)
        )
        event = Event(
            id=f"{self.guid()}@{TENANT}",
            display_name=f"{self.looks.choice(_TOPICS)} ({kind} {len(self.drafts) + 1})",
            organizer=ORGANIZER,
            co_organizers=tuple(self.looks.sample(COLLEAGUES, self.looks.randint(0, 2))),
            start=start,
            end=start + timedelta(hours=_SESSIONS_PER_EVENT),
            sessions=sessions,
        )
        draft = _Draft(kind, event, unread_sessions=[s.id for s in sessions])
        self.drafts.append(draft)
        if not cancelable:
            self.open.append(draft)
        return draft

    def new_registration(self) -> tuple[_Draft, Registration]:
        draft = next(
            (d for d in self.open if len(d.registrations) < _REGISTRATIONS_PER_EVENT), None
        )
        draft = draft or self.new_event(cancelable=False)
        self.people += 1
        surname = self.rng.choice(_SURNAMES)
        chosen = self.rng.sample([s.id for s in draft.event.sessions], 2)
        registration = Registration(
            id=self.guid(),
            email=f"Attendee{self.people}.{surname}@contoso.com",
            user_id=self.guid(),
            sessions=tuple(chosen),
        )
        draft.registrations.append(registration)
        return draft, registration

    def row(self, op: str, draft: _Draft, **fields: str) -> None:
        values = {"op": op, "event_type": draft.kind, "event_id": draft.event.id, **fields}
        self.rows.append({name: values.get(name, "") for name in FIELD_NAMES})

    def add_operation(self, op: str) -> None:
        if op == "cancel":
            self.row(op, self.new_event(cancelable=True))
        elif op == "get-session":
            draft = next((d for d in self.open if d.unread_sessions), None)
            draft = draft or self.new_event(cancelable=False)
            self.row(op, draft, session_id=draft.unread_sessions.pop(0))
        else:
            draft, registration = self.new_registration()
            # Remove-session and cancel-registration address by id or by email, half and half.
            key = (
                {"registration_email": registration.email}
                if self.rng.random() < 0.5
                else {"registration_id": registration.id}
            )
            if op == "remove-session":
                key["session_id"] = registration.sessions[0]
            self.row(op, draft, **key)

    def bystander(self, number: int) -> tuple[str, Event]:
        """An event no row targets: a colleague's (maybe co-organized by us), a draft, canceled."""
        kind = self.looks.choice(("webinar", "townhall"))
        start = DEFAULT_START + timedelta(days=self.looks.randint(0, 120), hours=number % 5)
        colleague = self.looks.choice(COLLEAGUES)
        mine = number % 3 != 0
        return kind, Event(
            id=f"{uuid.UUID(int=self.looks.getrandbits(128), version=4)}@{TENANT}",
            display_name=f"{self.looks.choice(_TOPICS)} ({kind}, not in the job)",
            status=("draft", "canceled", "published")[number % 3],
            organizer=ORGANIZER if mine else colleague,
            co_organizers=(colleague,) if mine else (ORGANIZER,),
            start=start,
            end=start + timedelta(minutes=90),
        )

    def world(self) -> World:
        events = [
            (d.kind, d.event.model_copy(update={"registrations": tuple(d.registrations)}))
            for d in self.drafts
        ]
        events += [self.bystander(n) for n in range(max(3, len(self.drafts) // 4))]
        people = (ORGANIZER, *COLLEAGUES)
        users = tuple(
            User(id=str(uuid.UUID(int=self.looks.getrandbits(128))), upn=upn) for upn in people
        )
        return World(
            tenant_id=TENANT,
            tokens=(TokenSpec(name="organizer", upn=ORGANIZER),),
            users=users,
            webinars=tuple(e for kind, e in events if kind == "webinar"),
            townhalls=tuple(e for kind, e in events if kind == "townhall"),
        )


def generate_world(n: int, seed: int = 0) -> tuple[World, list[dict[str, str]]]:
    """A world and N manifest rows (dicts with the manifest columns), all valid against it."""
    if n < 0:
        raise ValueError("n must not be negative")
    generator = _Generator(seed)
    ops = generator.rng.choices(list(_WEIGHTS), weights=list(_WEIGHTS.values()), k=n)
    for op in ops:
        generator.add_operation(op)
    return generator.world(), generator.rows
