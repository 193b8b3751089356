"""Seed a migrated, empty database with `size` realistic cases, fast: bulk inserts of the project's own
models, so every encrypted column goes through `crypto.EncryptedTextField` and every blind index
through `crypto.blind_index` / `crypto.part_indexes`, as intake stores them.

What a case gets (a fixed random seed, so two runs seed the same shape):
- received over the last max(1, size/10,000) years (about 10,000 a year, the issue's foundation);
- 75 % named, 20 % anonymous, 5 % escrowed (sealed); 50 sealed reports name the same person
  ("Pat Repeat"), for the escrow match figure;
- open when received in the last 14 days, or for 0.5 % of older ones; the rest closed with a
  resolution, a severity, a type, and for half of them a public summary;
- parties: the reporter (named reports), one or two reported people, sometimes a witness;
- every committee member's declaration (3 % conflicts), except on sealed reports and on some of the
  last two days' reports (members still to answer); two owners; 3–5 timeline entries; 1–2 posts;
  an acknowledgement to named reporters; 10 audit entries per case, hash-chained with the audit key.
"""

from __future__ import annotations

import random
import secrets
import time
from datetime import timedelta

from django.db import connection, transaction

from cocdesk import clock, crypto
from cocdesk.audit.models import GENESIS_HASH, AuditEntry, AuditHead
from cocdesk.audit.services import entry_hash
from cocdesk.cases.models import (
    Case,
    Category,
    Channel,
    ConflictDeclaration,
    DiscussionPost,
    IncidentOwner,
    Kind,
    Message,
    Party,
    PartyRole,
    Resolution,
    Severity,
    State,
    TimelineEntry,
)
from cocdesk.cases.models.records import MessageDirection, MessageKind, TimelineKind
from cocdesk.cases.services.opening import REFERENCE_ALPHABET
from cocdesk.members.models import Member, Role, TOTPDevice
from cocdesk.transparency.models import IncidentSummary

PASSWORD = "bench passphrase, loopback only"  # noqa: S105 - a throwaway database
CHUNK = 2_000
REPEAT_NAME = "Pat Repeat"
REPEATED = 50
FIRST = (
    "Avery Blake Casey Dana Eli Frankie Gale Harper Indy Jordan Kai Logan Morgan Noor Oakley Parker "
    "Quinn Riley Sage Taylor Uma Val Wren Xan Yael Zion Amara Bruno Chen Dmitri Elif Farah Goran Hana "
    "Ivo Jun Kofi Lena Mateo Nia Omar Priya Rosa Sven Tomas Ulla Vera Wanjiru Yusuf Zoe"
).split()
LAST = (
    "Abbott Baker Castro Diaz Eriksen Fischer Garcia Haddad Ito Jensen Kowalski Lindqvist Moreau "
    "Nakamura Okafor Petrov Quispe Rossi Silva Tanaka Ueda Varga Weber Xu Yilmaz Zhang Alvarez Brennan "
    "Chowdhury Dubois Esposito Fontaine Gruber Horvat Ibrahim Jovanovic Kim Larsen Mendes Novak "
    "Olsen Park Quinn Reyes Schmidt Torres Urbina Volkov Wojcik Young"
).split()
WHERE = [
    "the hallway after the keynote",
    "the project chat",
    "the issue tracker",
    "the hotel bar",
    "a video call",
]
STATES_OPEN = [State.NEW, State.TRIAGE, State.DELIBERATION, State.RESPONSE, State.FOLLOW_UP]
MEMBER_NAMES = [
    ("Carla Chair", Role.CHAIR),
    ("Alex Member", Role.MEMBER),
    ("Bea Member", Role.MEMBER),
    ("Cyrus Member", Role.MEMBER),
    ("Dita Member", Role.MEMBER),
    ("Emre Member", Role.MEMBER),
    ("Fen Member", Role.MEMBER),
    ("Gus Member", Role.MEMBER),
    ("Hild Member", Role.MEMBER),
]


def _text(rng: random.Random, words: int) -> str:
    vocabulary = (
        "they kept interrupting me and made comments about my accent in front of everyone then followed "
        "me to the next session and said I should not be speaking at all it has happened before at "
        "another event and I felt unsafe afterwards someone else saw it too"
    ).split()
    return " ".join(rng.choice(vocabulary) for _ in range(words)).capitalize() + "."


def _person(rng: random.Random, role: str, case: Case, name: str | None = None) -> Party:
    name = name or f"{rng.choice(FIRST)} {rng.choice(LAST)}"
    slug = name.lower().replace(" ", ".")
    email = f"{slug}{rng.randrange(100)}@example.org" if rng.random() < 0.7 else ""
    handle = f"@{slug.replace('.', '_')}" if role == PartyRole.REPORTED and rng.random() < 0.6 else ""
    return Party(
        case=case,
        role=role,
        name=name,
        email=email,
        handle=handle,
        name_index=crypto.blind_index(name, kind="name"),
        email_index=crypto.blind_index(email, kind="email") if email else "",
        handle_index=crypto.blind_index(handle, kind="handle") if handle else "",
        part_indexes=crypto.part_indexes(name=name, email=email, handle=handle),
    )


def members_create() -> list[Member]:
    members = []
    for n, (name, role) in enumerate(MEMBER_NAMES):
        email = "chair@bench.example" if role == Role.CHAIR else f"member{n}@bench.example"
        member = Member.objects.create_user(email, PASSWORD, name=name, role=role)
        TOTPDevice.objects.create(user=member, name="bench", confirmed=True)
        members.append(member)
    return members


class _Audit:
    """Appends hash-chained entries in memory, flushed in bulk; the head row written at the end."""

    def __init__(self) -> None:
        self.seq, self.last, self.pending = 0, GENESIS_HASH, []

    def add(self, *, at, actor: str, action: str, object_type: str, object_id: str) -> None:
        self.seq += 1
        entry = AuditEntry(
            seq=self.seq,
            at=at,
            actor=actor,
            action=action,
            object_type=object_type,
            object_id=object_id,
            prev_hash=self.last,
        )
        entry.hash = self.last = entry_hash(entry)
        self.pending.append(entry)

    def flush(self) -> None:
        AuditEntry.objects.bulk_create(self.pending, batch_size=5_000)
        self.pending = []

    def close(self) -> None:
        self.flush()
        AuditHead.objects.update_or_create(pk=1, defaults={"seq": self.seq, "last_hash": self.last})


def seed(*, size: int, log=print) -> dict:
    """Fill the database; returns what was made (counts and seconds)."""
    started = time.monotonic()
    rng = random.Random(15)
    now = clock.now()
    years = max(1, round(size / 10_000))
    span = timedelta(days=365 * years)
    members = members_create()
    for member in members:  # the six-monthly check-in is not due yet
        member.joined_at = now - timedelta(days=90)
    Member.objects.bulk_update(members, ["joined_at"])
    audit = _Audit()
    references: set[str] = set()
    sealed_seen = 0
    counts = {"cases": 0, "parties": 0, "declarations": 0, "timeline": 0, "audit": 0, "open": 0, "sealed": 0}
    # Oldest first, so received_at grows with the primary key as with real intake.
    moments = sorted(now - span * rng.random() for _ in range(size))
    for start in range(0, size, CHUNK):
        with transaction.atomic():
            cases = []
            for received_at in moments[start : start + CHUNK]:
                age = now - received_at
                roll = rng.random()
                kind = Kind.NAMED if roll < 0.75 else Kind.ANONYMOUS if roll < 0.95 else Kind.ESCROWED
                sealed = kind == Kind.ESCROWED
                is_open = sealed or age < timedelta(days=14) or rng.random() < 0.005
                while True:
                    code = "".join(rng.choice(REFERENCE_ALPHABET) for _ in range(4))
                    reference = f"CoC-{received_at.year}-{code}"
                    if reference not in references:
                        references.add(reference)
                        break
                closed_at = None if is_open else received_at + timedelta(days=rng.randrange(3, 60))
                if closed_at and closed_at > now:
                    closed_at = now - timedelta(hours=1)
                cases.append(
                    Case(
                        reference=reference,
                        channel=rng.choice([Channel.WEB] * 6 + [Channel.EMAIL, Channel.IN_PERSON]),
                        kind=kind,
                        sealed=sealed,
                        state=(State.NEW if sealed else rng.choice(STATES_OPEN)) if is_open else State.CLOSED,
                        resolution="" if is_open else rng.choice(Resolution.values[1:]),
                        severity="" if is_open else rng.choice(Severity.values[1:]),
                        category="" if is_open else rng.choice(Category.values[1:]),
                        urgent=rng.random() < 0.02,
                        received_at=received_at,
                        closed_at=closed_at,
                        description=_text(rng, rng.randrange(60, 200)),
                        occurred_when=f"{received_at:%d %B} around {rng.randrange(9, 22)}:00",
                        occurred_where=rng.choice(WHERE),
                        intake_details={"checklist": ["listened", "safety"]} if rng.random() < 0.3 else {},
                        receipt_hash=crypto.secret_hash(secrets.token_hex(10)),
                    )
                )
            Case.objects.bulk_create(cases, batch_size=CHUNK)
            parties, declarations, owners, timeline, posts, messages, summaries = [], [], [], [], [], [], []
            for case in cases:
                age = now - case.received_at
                if case.kind == Kind.NAMED:
                    parties.append(_person(rng, PartyRole.REPORTER, case))
                repeat = case.sealed and sealed_seen < REPEATED
                sealed_seen += repeat
                parties.append(_person(rng, PartyRole.REPORTED, case, REPEAT_NAME if repeat else None))
                if rng.random() < 0.2:
                    parties.append(_person(rng, PartyRole.REPORTED, case))
                if rng.random() < 0.3:
                    parties.append(_person(rng, PartyRole.WITNESS, case))
                counts["open"] += case.state != State.CLOSED and not case.sealed
                counts["sealed"] += case.sealed
                audit.add(
                    at=case.received_at,
                    actor="public",
                    action="case.created",
                    object_type="case",
                    object_id=str(case.pk),
                )
                if case.sealed:
                    continue
                fresh = age < timedelta(days=2)
                for member in members:
                    if fresh and rng.random() < 0.5:
                        continue  # still to answer the conflict question
                    conflict = rng.random() < 0.03
                    declarations.append(
                        ConflictDeclaration(
                            case=case,
                            member=member,
                            has_conflict=conflict,
                            declared_at=case.received_at + timedelta(hours=rng.randrange(1, 30)),
                        )
                    )
                if not fresh:
                    first, second = rng.sample(members, 2)
                    owners += [
                        IncidentOwner(case=case, member=first, role="primary"),
                        IncidentOwner(case=case, member=second, role="secondary"),
                    ]
                at = case.received_at
                timeline.append(
                    TimelineEntry(case=case, at=at, kind=TimelineKind.INTAKE, text="Report received.")
                )
                for _ in range(rng.randrange(2, 5)):
                    at += timedelta(hours=rng.randrange(2, 48))
                    timeline.append(
                        TimelineEntry(
                            case=case,
                            at=min(at, now),
                            author=rng.choice(members),
                            kind=TimelineKind.NOTE,
                            text=_text(rng, 30),
                        )
                    )
                for _ in range(rng.randrange(1, 3)):
                    posts.append(
                        DiscussionPost(
                            case=case, author=rng.choice(members), body=_text(rng, 40), created_at=at
                        )
                    )
                if case.kind == Kind.NAMED and (age > timedelta(days=1) or rng.random() < 0.5):
                    messages.append(
                        Message(
                            case=case,
                            direction=MessageDirection.TO_REPORTER,
                            kind=MessageKind.ACKNOWLEDGEMENT,
                            body="Thank you for telling us. We have read your report.",
                            created_at=case.received_at + timedelta(hours=rng.randrange(1, 20)),
                            emailed=True,
                        )
                    )
                if case.state == State.CLOSED and rng.random() < 0.5:
                    summaries.append(
                        IncidentSummary(
                            case=case,
                            text="A participant was spoken to about comments at an event.",
                            anonymizable=True,
                        )
                    )
                for n in range(9):
                    audit.add(
                        at=min(case.received_at + timedelta(hours=n + 1), now),
                        actor=f"member:{rng.choice(members).pk}",
                        action=rng.choice(["case.read", "case.read", "case.note_added", "case.declared"]),
                        object_type="case",
                        object_id=str(case.pk),
                    )
            Party.objects.bulk_create(parties, batch_size=CHUNK)
            ConflictDeclaration.objects.bulk_create(declarations, batch_size=5_000)
            IncidentOwner.objects.bulk_create(owners, batch_size=5_000)
            TimelineEntry.objects.bulk_create(timeline, batch_size=5_000)
            DiscussionPost.objects.bulk_create(posts, batch_size=5_000)
            Message.objects.bulk_create(messages, batch_size=5_000)
            IncidentSummary.objects.bulk_create(summaries, batch_size=5_000)
            counts["audit"] += len(audit.pending)
            audit.flush()
            counts["cases"] += len(cases)
            counts["parties"] += len(parties)
            counts["declarations"] += len(declarations)
            counts["timeline"] += len(timeline)
        if (start // CHUNK) % 10 == 0:
            log(f"  seeded {start + len(cases):,} / {size:,} cases ({time.monotonic() - started:.0f} s)")
    audit.close()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    counts["seconds"] = round(time.monotonic() - started, 1)
    counts["years"] = years
    return counts
