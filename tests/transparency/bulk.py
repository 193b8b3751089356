"""A realistic year of cases, inserted in bulk through the project's own encryption and blind indexes
(for the query-count test here, and for `make bench`): every channel and type, most cases closed
with a resolution and a public summary, some still open or closed the next year, parties with
names, addresses and handles, and the messages the plan's clocks are measured by."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from cocdesk.cases.models import (
    Case,
    Category,
    Channel,
    ConflictDeclaration,
    Message,
    Party,
    PartyRole,
    Resolution,
)
from cocdesk.crypto import blind_index, part_indexes
from cocdesk.transparency.models import IncidentSummary

FIRST = ["Quinn", "Avery", "Sam", "Robin", "Jordan", "Maria", "Li", "Ahmed", "Noor", "Kai", "Elena", "Tomás"]
LAST = ["Doe", "Smith", "García", "Nguyen", "Okafor", "Kowalski", "Haddad", "Ito", "Berg", "de la Cruz"]
WHAT = [
    "made repeated unwelcome comments in a chat channel",
    "interrupted speakers during a meeting",
    "posted insulting replies on the issue tracker",
    "kept contacting a participant after being asked to stop",
    "shared a screenshot of a private conversation",
    "used a slur in a conference talk",
    "disrupted a sprint with off-topic arguments",
]
DONE = [
    "They were warned and agreed to a behavioural plan.",
    "They were removed from the channel for a month.",
    "The committee found no violation and explained why.",
    "They apologised through the committee.",
    "They were asked not to attend the next event.",
]
CATEGORIES = [value for value, _label in Category.choices if value]
CHANNELS = [value for value, _label in Channel.choices]
RESOLUTIONS = [value for value, _label in Resolution.choices if value]


def _index(value: str, kind: str) -> str:
    return blind_index(value, kind=kind) if value else ""


def bulk_year(*, year: int, count: int, taking_part: list, every: int = 2, seed: int = 2026) -> list[int]:
    """`count` cases received in `year`; each member of `taking_part` declared "no conflict" on
    one case in `every`. Returns the case ids."""
    rng = random.Random(seed)
    start, end = datetime(year, 1, 1, tzinfo=UTC), datetime(year + 1, 1, 1, tzinfo=UTC)
    cases = []
    for n in range(count):
        received = start + timedelta(minutes=rng.randrange(365 * 24 * 60 - 60))
        roll = rng.random()
        closed_at = None
        if roll < 0.75:
            closed_at = min(
                received + timedelta(hours=rng.randrange(12, 24 * 40)), end - timedelta(minutes=1)
            )
        elif roll < 0.85:
            closed_at = datetime(year + 1, 1, 1, tzinfo=UTC) + timedelta(days=rng.randrange(1, 60))
        cases.append(
            Case(
                reference=f"CoC-{year}-B{n:06d}",
                channel=rng.choice(CHANNELS),
                kind="named",
                state="closed" if closed_at else rng.choice(["new", "triage", "deliberation", "response"]),
                resolution=rng.choice(RESOLUTIONS) if closed_at else "",
                category=rng.choice(CATEGORIES) if rng.random() < 0.9 else "",
                received_at=received,
                closed_at=closed_at,
                description=f"Report {n}: someone {rng.choice(WHAT)}.",
            )
        )
    cases = Case.objects.bulk_create(cases, batch_size=500)
    parties, summaries, messages, declarations = [], [], [], []
    for n, case in enumerate(cases):
        for role in (PartyRole.REPORTER, PartyRole.REPORTED):
            name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
            email = f"{name.split()[0].lower()}.{n}.{role}@example.org"
            handle = f"@{name.split()[0].lower()}{n}"
            parties.append(
                Party(
                    case=case,
                    role=role,
                    name=name,
                    email=email,
                    handle=handle,
                    name_index=_index(name, "name"),
                    email_index=_index(email, "email"),
                    handle_index=_index(handle, "handle"),
                    part_indexes=part_indexes(name=name, email=email, handle=handle),
                )
            )
        if case.closed_at and rng.random() < 0.85:
            summaries.append(
                IncidentSummary(
                    case=case,
                    text=f"A participant {rng.choice(WHAT)}. {rng.choice(DONE)}",
                    anonymizable=rng.random() < 0.8,
                )
            )
        if rng.random() < 0.9:
            answered = case.received_at + timedelta(hours=rng.randrange(1, 60))
            messages.append(
                Message(
                    case=case, direction="to_reporter", kind="acknowledgement", body="…", created_at=answered
                )
            )
        if case.closed_at and rng.random() < 0.8:
            decided = case.received_at + timedelta(hours=rng.randrange(24, 24 * 14))
            messages.append(
                Message(case=case, direction="to_reporter", kind="decision", body="…", created_at=decided)
            )
        if rng.random() < 0.1:
            late = case.received_at + timedelta(days=7, hours=1)
            messages.append(
                Message(case=case, direction="to_reporter", kind="delay", body="…", created_at=late)
            )
        if n % every == 0:
            declarations += [
                ConflictDeclaration(case=case, member=m, has_conflict=False) for m in taking_part
            ]
    Party.objects.bulk_create(parties, batch_size=1000)
    IncidentSummary.objects.bulk_create(summaries, batch_size=1000)
    Message.objects.bulk_create(messages, batch_size=1000)
    ConflictDeclaration.objects.bulk_create(declarations, batch_size=1000)
    return [case.pk for case in cases]
