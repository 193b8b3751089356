"""A small world for the access tests (D1, D3; issue 4): one member per role and one rich case,
built through the services, with a unique canary string in its text.

Roles, as the access matrix names them:
- participant: a committee member who declared no conflict (besides `p1`, `p2`, who own the case);
- undeclared: a committee member who has not answered the conflict prompt yet;
- conflicted: a committee member who declared a conflict;
- party: a committee member who is the reported person (by their account's address), so conflicted
  automatically;
- named: a committee member the report names only by their name (no address, no handle): conflicted
  automatically all the same (issue 10);
- possible: a committee member whose first name alone is in the report's description: held as
  possibly involved, seeing nothing until a participant clears them;
- responder: the event responder who filed the report;
- manager: the community manager (who declared no conflict, so may read the shared record);
- operator: the site operator (Django superuser, with a verified TOTP device);
- anonymous: a visitor without an account.

Also here: walking the URL resolver into concrete paths, a snapshot of everything a case has (to
prove a refused POST changed nothing), and the leak hunting used by the canary tests.
"""

from __future__ import annotations

import itertools
import logging
import re
import uuid
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from html import escape
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qsl, quote, quote_plus, urlencode, urljoin, urlsplit

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern, RoutePattern

from cocdesk import clock
from cocdesk.cases import services as deliberation
from cocdesk.cases.models import (
    Attachment,
    Case,
    ConflictDeclaration,
    ConsequenceCatalogItem,
    Conversation,
    DiscussionPost,
    FollowUp,
    Handoff,
    ImmediateResponse,
    IncidentOwner,
    InvolvementClearance,
    LawEnforcementRecord,
    Message,
    Party,
    PartyRole,
    Proposal,
    ProposalConsequence,
    TimelineEntry,
    TimelineKind,
    Vote,
)
from cocdesk.cases.selectors import declaration_window_end
from cocdesk.cases.services import (
    FileInput,
    PartyInput,
    attachment_add,
    conflict_declare,
    conflict_rejoin_request,
    timeline_add,
)
from cocdesk.escrow.models import EscrowMatch, UnsealAgreement
from cocdesk.intake.models import Event
from cocdesk.intake.services import immediate_response_record, portal_reply
from cocdesk.members.models import Member, Role
from cocdesk.middleware import is_public_path
from cocdesk.outbox.models import OutboxMessage
from cocdesk.transparency.models import CaseCheck, IncidentSummary
from tests.factories import event_factory, member_factory, open_report, operator_factory, verified_client
from tests.mailbox import delivered

ROLES = (
    "participant",
    "undeclared",
    "conflicted",
    "party",
    "named",
    "possible",
    "responder",
    "manager",
    "operator",
    "anonymous",
)
STATES = ("new", "triage", "deliberation", "response", "follow_up", "closed", "sealed")
_world_numbers = itertools.count(1)


@dataclass
class World:
    state: str
    canary: str  # in every text field of the case (parties' names only if `canary_in_parties`)
    shared_marker: str  # what was given to law enforcement: the community manager may read it
    case: Case
    p1: Member
    p2: Member
    members: dict[str, Member]  # role -> account (no "anonymous")
    rejoiner: Member  # declared a conflict, then asked to take part after all (pending agreement)
    event: Event
    open_proposal: Proposal
    attachment: Attachment
    law_record: LawEnforcementRecord
    message: Message
    post: DiscussionPost
    twin: Case  # another report naming the same person: escrowed (or, for a sealed world, named)
    escrow_match: EscrowMatch
    reported_party: Party  # a reported person, as the people pages address them
    rejoin_requested_at: object = None
    reported_name: str = ""
    reporter_email: str = ""
    clients: dict[str, Client] = field(default_factory=dict)

    def client(self, role: str) -> Client:
        if role not in self.clients:
            client = Client(raise_request_exception=False)
            self.clients[role] = (
                client if role == "anonymous" else verified_client(self.members[role], client)
            )
        return self.clients[role]

    def restore(self) -> None:
        """Undo what an allowed POST may do to the roles: recusing, agreeing to a rejoin, unsealing."""
        case, members = self.case, self.members
        Case.objects.filter(pk=case.pk).update(sealed=self.state == "sealed")
        Case.objects.filter(pk=self.twin.pk).update(sealed=self.state != "sealed")
        EscrowMatch.objects.filter(pk=self.escrow_match.pk).update(unsealed_at=None, unsealed_by=None)
        ConflictDeclaration.objects.update_or_create(
            case=case,
            member=members["participant"],
            defaults={"has_conflict": False, "rejoin_requested_at": None, "source": "declared"},
        )
        ConflictDeclaration.objects.update_or_create(
            case=case,
            member=members["conflicted"],
            defaults={"has_conflict": True, "rejoin_requested_at": None, "source": "declared"},
        )
        ConflictDeclaration.objects.update_or_create(
            case=case,
            member=self.rejoiner,
            defaults={
                "has_conflict": True,
                "rejoin_requested_at": self.rejoin_requested_at,
                "source": "declared",
            },
        )
        ConflictDeclaration.objects.filter(case=case, member=members["undeclared"]).delete()
        ConflictDeclaration.objects.update_or_create(
            case=case,
            member=members["possible"],
            defaults={"has_conflict": True, "rejoin_requested_at": None, "source": "possible"},
        )
        ConflictDeclaration.objects.update_or_create(
            case=case,
            member=members["manager"],
            defaults={"has_conflict": False, "rejoin_requested_at": None, "source": "declared"},
        )
        InvolvementClearance.objects.filter(case=case).delete()
        UnsealAgreement.objects.filter(match=self.escrow_match).delete()


def build_world(
    state: str = "follow_up", *, canary: str | None = None, canary_in_parties: bool = False
) -> World:
    """One member per role and one case in `state` (or a sealed escrowed case), filled through the
    services with `canary` in every text field: description, when, where, intake details, parties'
    notes and phones (names, emails and handles too if `canary_in_parties`: the conflict prompt
    shows names to undeclared members, by design), timeline notes, discussion, proposals and custom
    consequences, a conversation, re-evaluation context, a follow-up, the immediate response, a
    reporter's message through the portal, and two attachments (name and content).

    The case walks new → triage → deliberation → response → follow-up through the services (two
    owners, a passed and an open proposal, a conversation). Other states are then set directly:
    access does not depend on the state, and this keeps every state equally rich.
    """
    canary = canary or f"CANARY-{uuid.uuid4().hex}"
    shared_marker = canary if canary_in_parties else f"SHARED-{uuid.uuid4().hex}"
    tag = f" {canary}" if canary_in_parties else ""
    sealed = state == "sealed"

    p1 = member_factory(name="Pat Primary")
    p2 = member_factory(name="Sol Secondary")
    rejoiner = member_factory(name="Rae Rejoining")
    members = {
        "participant": member_factory(name="Dee Declared"),
        "undeclared": member_factory(name="Uma Undeclared"),
        "conflicted": member_factory(name="Cai Conflicted"),
        "party": member_factory(name="Jamie Doe"),  # the reported person has an account
        "named": member_factory(name="Nia Named"),  # named by name only, in the report
        "possible": member_factory(name="Quinn Possible"),  # "Quinn" alone is in the description
        "responder": member_factory(name="Oli Organizer", role=Role.EVENT_RESPONDER),
        "manager": member_factory(name="Max Manager", role=Role.COMMUNITY_MANAGER),
        "operator": operator_factory(),
    }
    event = event_factory(starts_on=date(2026, 12, 1), ends_on=date(2026, 12, 3))
    event.responders.add(members["responder"])

    reported_name = f"Sam{tag} Smith"
    reporter_email = f"robin.{canary}@example.net" if canary_in_parties else "robin@example.net"
    anonymous = sealed
    reporter = PartyInput(
        role=PartyRole.REPORTER,
        name=f"Robin{tag} Reporter",
        email=reporter_email,
        phone=f"+1 555 0100 {canary}",
        notes=f"{canary} reporter notes",
    )
    reported = [
        PartyInput(
            role=PartyRole.REPORTED,
            name=f"Jamie{tag} Doe",
            email=members["party"].email,  # matched to the member's account: conflicted automatically
            handle=f"@jamie{canary}" if canary_in_parties else "@jamied",
            phone=f"+1 555 0199 {canary}",
            notes=f"{canary} reported notes",
        ),
        PartyInput(
            role=PartyRole.REPORTED,
            name=reported_name,
            email=f"sam.{canary}@example.com" if canary_in_parties else "sam@example.com",
            handle=f"@sam{canary}" if canary_in_parties else "@sam",
            notes=f"{canary} second reported notes",
        ),
        PartyInput(role=PartyRole.WITNESS, name=f"Wren{tag} Witness", notes=f"{canary} witness notes"),
        # A member named by name only: no address, no handle (issue 10).
        PartyInput(role=PartyRole.REPORTED, name="Nia Named", notes=f"{canary} named-only notes"),
    ]
    # What `committee_report_take` stores for an event responder's in-person report (that service
    # wants a request-verified taker; the HTTP flow is in test_object_level.py).
    opened = open_report(
        channel="in_person",
        kind="escrowed" if sealed else "named",
        description=f"{canary} description: what happened. Quinn was there too.",
        occurred_when=f"{canary} when",
        occurred_where=f"{canary} where",
        ongoing=True,
        urgent=not sealed,  # a report of immediate danger is never escrowed (issue 13)
        law_enforcement_requested=True,
        preferred_contact="email",
        wants_updates=True,
        intake_details={
            "safety": {}
            if anonymous
            else {"location": f"{canary} location", "clothing": f"{canary} clothing"},
            "checklist": ["calm", f"{canary} checklist"],
            "taken_by": members["responder"].pk,
        },
        parties=[reporter, *reported],
        files=[FileInput(name=f"evidence-{canary}.txt", data=f"{canary} evidence content\n".encode())],
        event=event,
        with_receipt=anonymous,
        taken_by=members["responder"],
        actor=members["responder"],
    )
    immediate_response_record(
        case=opened.case, by=members["responder"], action="venue_security", note=f"{canary} immediate note"
    )
    case = opened.case
    assert case.sealed is sealed
    assert ConflictDeclaration.objects.filter(case=case, member=members["party"], has_conflict=True).exists()
    declared = dict(ConflictDeclaration.objects.filter(case=case).values_list("member__name", "source"))
    assert declared["Nia Named"] == "party" and declared["Quinn Possible"] == "possible", declared

    # On a sealed case nobody is asked to declare; declarations are written anyway, so the matrix
    # shows that even a "no conflict" answer opens nothing of a sealed case.
    for member in (p1, p2, members["participant"], members["manager"]):
        conflict_declare(case=case, member=member, has_conflict=False)
    conflict_declare(case=case, member=members["conflicted"], has_conflict=True)
    conflict_declare(case=case, member=rejoiner, has_conflict=True)
    conflict_rejoin_request(case=case, member=rejoiner)

    timeline_add(case=case, author=p1, kind=TimelineKind.NOTE, text=f"{canary} timeline note")
    attachment_add(
        case=case,
        name=f"notes-{canary}.txt",
        data=f"{canary} committee evidence\n".encode(),
        source="committee",
        uploaded_by=p1,
    )
    portal_reply(case=case, body=f"{canary} reporter message through the portal")
    if sealed:
        # Nobody takes part in a sealed case, so the services refuse proposals and records on it;
        # these rows are written directly so the matrix has real ids to probe.
        open_proposal = Proposal.objects.create(
            case=case, kind="violation", text=f"{canary} p", proposed_by=p1
        )
        law_record = LawEnforcementRecord.objects.create(
            case=case, shared=shared_marker, shared_on=date(2026, 11, 20), recorded_by=p1
        )
        DiscussionPost.objects.create(case=case, author=p1, body=f"{canary} discussion post")
    else:
        _deliberate(case, p1, p2, canary, shared_marker)
        open_proposal = case.proposals.get(status="open")
        law_record = case.law_enforcement_records.get()

    # Another report naming the same person (by email): escrow matches it with this one (D7).
    twin = open_report(
        channel="email",
        kind="named" if sealed else "escrowed",
        description="A second report about the same person.",
        parties=[PartyInput(role=PartyRole.REPORTED, name="S. Smith", email=reported[1].email)],
        with_receipt=True,
        actor="public",
    ).case
    escrow_match = EscrowMatch.objects.get(
        sealed_case=case if sealed else twin, other_case=twin if sealed else case
    )

    if state not in ("follow_up", "sealed"):
        closing = (
            {"resolution": "resolved_with_action", "closed_at": clock.now()} if state == "closed" else {}
        )
        Case.objects.filter(pk=case.pk).update(state=state, **closing)
    case.refresh_from_db()
    assert case.state == ("new" if sealed else state)
    declaration = ConflictDeclaration.objects.get(case=case, member=rejoiner)
    return World(
        state=state,
        canary=canary,
        shared_marker=shared_marker,
        case=case,
        p1=p1,
        p2=p2,
        members=members,
        rejoiner=rejoiner,
        event=event,
        open_proposal=open_proposal,
        attachment=case.attachments.first(),
        law_record=law_record,
        message=case.messages.last(),
        post=case.posts.last(),
        twin=twin,
        escrow_match=escrow_match,
        rejoin_requested_at=declaration.rejoin_requested_at,
        reported_party=case.parties.filter(role=PartyRole.REPORTED).order_by("pk").last(),
        reported_name=reported_name,
        reporter_email=reporter_email,
    )


def _deliberate(case: Case, p1: Member, p2: Member, canary: str, shared_marker: str) -> None:
    """Owners, discussion, a passed and an open proposal, a conversation, context, law enforcement
    and a follow-up: the case ends in follow-up."""
    deliberation.owners_set(case=case, primary=p1, secondary=p2, by=p1)
    deliberation.discussion_post_add(case=case, author=p1, body=f"{canary} discussion post")
    passed = deliberation.proposal_create(
        case=case, kind="violation", text=f"{canary} violation proposal", by=p1
    )
    # The world has a member who never declares: a decision closes once the declaration window is over.
    with clock.frozen(max(clock.now(), declaration_window_end(case=case))):
        deliberation.vote_cast(proposal=passed, member=p1, choice="yes")
        deliberation.vote_cast(proposal=passed, member=p2, choice="yes")
    assert Proposal.objects.get(pk=passed.pk).status == "passed"
    catalog = ConsequenceCatalogItem.objects.first()
    deliberation.proposal_create(
        case=case,
        kind="consequences",
        text=f"{canary} consequences proposal",
        by=p2,
        consequences=[
            deliberation.ConsequenceInput(
                custom=f"{canary} custom consequence", duration=f"{canary} duration"
            ),
            *([deliberation.ConsequenceInput(catalog_item=catalog)] if catalog else []),
        ],
    )
    deliberation.conversation_record(
        case=case,
        by=p1,
        talk=deliberation.ConversationInput(
            held_on=date(2026, 11, 20),
            members=[p1, p2],
            behavior=f"{canary} behavior",
            context=f"{canary} context",
            impact=f"{canary} impact",
            call_in=f"{canary} call in",
            plan=f"{canary} plan",
            response=f"{canary} response",
            plan_accepted=True,
            apology_offered=True,
            apology_relayed=False,
            apology_reason=f"{canary} apology reason",
        ),
    )
    deliberation.context_add(case=case, by=p2, text=f"{canary} new context")
    deliberation.law_enforcement_record(case=case, by=p1, shared=shared_marker, shared_on=date(2026, 11, 21))
    deliberation.case_transition(case=case, to="follow_up", by=p1)
    deliberation.follow_up_add(case=case, by=p2, text=f"{canary} follow-up")


# --- one world for many tests ---------------------------------------------------------------------


@contextmanager
def kept_for_many_tests(django_db_blocker, files: Path) -> Iterator[None]:
    """Rows built inside stay for every test until the block ends, then are rolled back.

    For a module- or class-scoped fixture: its transaction encloses the tests, and each test's own
    transaction (pytest-django's `db`) is a savepoint inside it, rolled back after the test, so every
    test starts from the same world (Django's TestCase.setUpTestData works the same way). Stored files
    go to `files`, which the tests' storage must point at too (see `_own_file_storage` overrides)."""
    storages = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": files}},
    }
    with django_db_blocker.unblock(), override_settings(STORAGES=storages):
        outer = transaction.atomic()
        outer._from_testcase = True  # as TestCase's class-wide atomic: durable blocks inside are allowed
        outer.__enter__()
        try:
            yield
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


# --- what a case has -------------------------------------------------------------------------------


# The tables `snapshot` reads: a request that wrote to none of them changed nothing it would show.
SNAPSHOT_MODELS = (
    Case,
    IncidentSummary,
    EscrowMatch,
    TimelineEntry,
    DiscussionPost,
    Proposal,
    ProposalConsequence,
    Vote,
    IncidentOwner,
    Message,
    Attachment,
    ConflictDeclaration,
    LawEnforcementRecord,
    FollowUp,
    Conversation,
    ImmediateResponse,
    Handoff,
    Party,
    InvolvementClearance,
    UnsealAgreement,
    OutboxMessage,
    CaseCheck,
)


def wrote_to_a_case(queries: list[dict]) -> bool:
    """Whether any of `queries` (CaptureQueriesContext.captured_queries) may have changed what
    `snapshot` reads: a statement other than a SELECT naming one of its tables."""
    tables = {model._meta.db_table.lower() for model in SNAPSHOT_MODELS}
    for query in queries:
        sql = query["sql"].lstrip()
        if sql[:6].upper() == "SELECT":
            continue
        named = {name.lower() for name in re.findall(r'["`]?([A-Za-z_][A-Za-z0-9_]*)["`]?', sql)}
        if named & tables:
            return True
    return False


def snapshot(case: Case) -> dict:
    """Everything a refused request could have changed on a case: its state and every child row."""
    return {
        "case": Case.objects.filter(pk=case.pk)
        .values(
            "state",
            "resolution",
            "sealed",
            "law_enforcement_requested",
            "wants_updates",
            "closed_at",
            "urgent",
            "search_started_at",
            "search_ended_at",
            "expunge_at",
            "expunged_at",
            "category",
        )
        .get(),
        "public_summary": sorted(
            IncidentSummary.objects.filter(case=case).values_list("pk", "anonymizable", "updated_at")
        ),
        "escrow": sorted(
            EscrowMatch.objects.filter(Q(sealed_case=case) | Q(other_case=case)).values_list(
                "pk", "sealed_case__sealed", "other_case__sealed", "unsealed_at"
            )
        ),
        "timeline": TimelineEntry.objects.filter(case=case).count(),
        "posts": DiscussionPost.objects.filter(case=case).count(),
        "proposals": sorted(Proposal.objects.filter(case=case).values_list("pk", "status")),
        "consequences": ProposalConsequence.objects.filter(proposal__case=case).count(),
        "votes": sorted(
            Vote.objects.filter(proposal__case=case).values_list("proposal_id", "member_id", "choice")
        ),
        "owners": sorted(IncidentOwner.objects.filter(case=case).values_list("role", "member_id")),
        "messages": Message.objects.filter(case=case).count(),
        "attachments": Attachment.objects.filter(case=case).count(),
        "declarations": sorted(
            ConflictDeclaration.objects.filter(case=case).values_list(
                "member_id", "has_conflict", "source", "rejoin_requested_at"
            )
        ),
        "law_records": LawEnforcementRecord.objects.filter(case=case).count(),
        "follow_ups": FollowUp.objects.filter(case=case).count(),
        "conversations": Conversation.objects.filter(case=case).count(),
        "immediate": ImmediateResponse.objects.filter(case=case).count(),
        "handoffs": Handoff.objects.filter(case=case).count(),
        "parties": sorted(
            Party.objects.filter(case=case).values_list(
                "pk", "role", "name_index", "email_index", "handle_index", "member_ref"
            )
        ),
        "clearances": sorted(InvolvementClearance.objects.filter(case=case).values_list("member_id", "keys")),
        "unseal_agreements": sorted(
            UnsealAgreement.objects.filter(
                Q(match__sealed_case=case) | Q(match__other_case=case)
            ).values_list("match_id", "member_id")
        ),
        "outbox": OutboxMessage.objects.filter(case=case).count(),
        "transparency_checks": sorted(
            CaseCheck.objects.filter(case=case).values_list("pk", "outcome", "digest")
        ),
    }


# --- the URL resolver ------------------------------------------------------------------------------

_ROUTE_ARG = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")


@dataclass(frozen=True)
class Route:
    """One URL pattern of the site, with its full route and namespaced name."""

    name: str  # "cases:detail"; "admin:<unnamed>" for unnamed patterns
    route: str  # "cases/<str:reference>/"
    kwargs: tuple[str, ...]
    converters: dict
    is_regex: bool

    @property
    def namespace(self) -> str:
        return self.name.split(":", 1)[0] if ":" in self.name else ""

    def path(self, values: dict) -> str:
        """The concrete path: each converter turns its value into URL text, as `reverse` would."""
        if self.is_regex:
            raise ValueError(f"{self.name}: a regular-expression pattern ({self.route}) has no concrete path")

        def substitute(match: re.Match) -> str:
            name = match.group("name")
            return self.converters[name].to_url(values[name])

        return "/" + _ROUTE_ARG.sub(substitute, self.route)

    def placeholder_path(self) -> str | None:
        """A path with dummy values (to tell public patterns apart); None for regex patterns."""
        if self.is_regex:
            return None
        return self.path(
            {name: 1 if "int" in type(c).__name__.lower() else "x" for name, c in self.converters.items()}
        )


def site_routes() -> list[Route]:
    """Every URL pattern of the site, nested resolvers included (the deadlines app's too, once mounted)."""
    found: list[Route] = []

    def walk(patterns, prefix: str, namespaces: list[str], converters: dict, regex: bool) -> None:
        for entry in patterns:
            pattern = entry.pattern
            is_regex = regex or isinstance(pattern, RegexPattern)
            these = {**converters, **getattr(pattern, "converters", {})}
            if isinstance(entry, URLResolver):
                namespace = [*namespaces, entry.namespace] if entry.namespace else namespaces
                walk(entry.url_patterns, prefix + str(pattern), namespace, these, is_regex)
            elif isinstance(entry, URLPattern):
                route = prefix + str(pattern)
                if is_regex:
                    kwargs = tuple(re.compile(route).groupindex)
                else:
                    assert isinstance(pattern, RoutePattern), route
                    kwargs = tuple(m.group("name") for m in _ROUTE_ARG.finditer(route))
                name = ":".join([*namespaces, entry.name or "<unnamed>"])
                found.append(Route(name, route, kwargs, these, is_regex))

    walk(get_resolver().url_patterns, "", [], {}, False)
    return found


def is_public_route(route: Route) -> bool:
    path = route.placeholder_path()
    return path is not None and is_public_path(path)


# Child objects of a case, by the keyword a URL pattern names them with. A new pattern that takes a
# case through one of these is built and probed automatically.
KWARG_BUILDERS = {
    "reference": lambda w: w.case.reference,
    "year": lambda w: w.case.received_at.year,  # a transparency report's (the case team's check)
    "proposal_id": lambda w: w.open_proposal.pk,
    "attachment_id": lambda w: w.attachment.pk,
    "record_id": lambda w: w.law_record.pk,
    "member_id": lambda w: w.rejoiner.pk,  # the member asking to take part after a conflict
    "message_id": lambda w: w.message.pk,
    "post_id": lambda w: w.post.pk,
    "match_id": lambda w: w.escrow_match.pk,  # an escrow match between this case and another
    "party_id": lambda w: w.reported_party.pk,  # a reported person (the people pages)
}


def case_kwargs(route: Route, world: World) -> dict | None:
    """Values for a case-scoped pattern's keywords, or None if one of them is unknown."""
    if "reference" not in route.kwargs and not set(route.kwargs) & (set(KWARG_BUILDERS) - {"reference"}):
        return None
    if not set(route.kwargs) <= set(KWARG_BUILDERS):
        return None
    return {name: KWARG_BUILDERS[name](world) for name in route.kwargs}


# --- leak hunting ----------------------------------------------------------------------------------

_CSRF_TOKEN = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]*"')


def _echo_forms(typed: str, neutral: str) -> list[tuple[bytes, bytes]]:
    """How a query the user typed comes back in a page (as typed, HTML-escaped, URL-encoded, and
    URL-encoded twice in a login redirect's `next`), each paired with the same form of a neutral
    query; longest first, so replacing them is unambiguous."""
    encodings = (str, escape, quote_plus, quote, lambda text: quote_plus(quote_plus(text)))
    pairs = {encode(typed).encode(): encode(neutral).encode() for encode in encodings}
    return sorted(pairs.items(), key=lambda pair: len(pair[0]), reverse=True)


def stand_in_for(text: str) -> str:
    """A query of the same shape that matches nothing: letters become Q, digits 7."""
    return "".join("Q" if ch.isalpha() else "7" if ch.isdigit() else ch for ch in text)


def search_differences(client: Client, path: str, field: str, secret: str) -> str | None:
    """A search for `secret` must answer exactly what a search for something of the same shape
    that matches nothing answers, apart from echoing what was typed. Returns how it differs."""
    stand_in = stand_in_for(secret)
    client.get(path)  # shows (and so clears) any message left in the session by an earlier request
    answers = []
    for query in (secret, stand_in):
        response = client.get(path, {field: query})
        body = _CSRF_TOKEN.sub(b"", body_of(response))
        headers = "\n".join(f"{k}: {v}" for k, v in sorted(response.items())).encode()
        answers.append((response.status_code, body, headers))
    (status, body, headers), (other_status, other_body, other_headers) = answers
    for typed, neutral in _echo_forms(secret, stand_in):
        body, headers = body.replace(typed, neutral), headers.replace(typed, neutral)
    if status != other_status:
        return f"status {status} != {other_status}"
    if body != other_body:
        return "the page differs from a search that finds nothing"
    if headers != other_headers:
        return "the headers differ from a search that finds nothing"
    return None


def body_of(response) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


def leaks(secret: str, data: bytes | str) -> bool:
    """Whether `secret` shows in `data`, decoded or raw, in any letter case."""
    raw = data if isinstance(data, bytes) else data.encode()
    text = raw.decode("utf-8", errors="replace")
    return secret.lower().encode() in raw.lower() or secret.lower() in text.lower()


def response_leaks(secret: str, response, *, body: bytes | None = None) -> list[str]:
    """Where `secret` shows in a response: the body, or any header."""
    where = []
    if leaks(secret, body if body is not None else body_of(response)):
        where.append("body")
    where += [f"header {name}" for name, value in response.items() if leaks(secret, f"{name}: {value}")]
    for cookie in response.cookies.values():
        if leaks(secret, cookie.OutputString()):
            where.append(f"cookie {cookie.key}")
    return where


def email_leaks(secret: str, *, skip_recipient: str = "") -> list[str]:
    """Emails sent so far (django.core.delivered()) whose subject, body or headers show `secret`.
    `skip_recipient`: the reporter's own address, which may legitimately carry the secret."""
    found = []
    for message in delivered():
        parts = [message.subject, message.body, message.from_email, *message.extra_headers.values()]
        parts += [content for content, _type in getattr(message, "alternatives", [])]
        parts += [str(a) for a in message.attachments]
        parts += [to for to in [*message.to, *message.cc, *message.bcc] if to != skip_recipient]
        if any(leaks(secret, str(part)) for part in parts):
            found.append(f"email to {message.to}: {message.subject!r}")
    return found


class LogCatcher(logging.Handler):
    """Every log record of every logger, at DEBUG; loggers that do not propagate are caught too."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self._patched: list[tuple[logging.Logger, int]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def __enter__(self) -> LogCatcher:
        loggers = [logging.getLogger()] + [
            logger
            for logger in logging.Logger.manager.loggerDict.values()
            if isinstance(logger, logging.Logger)
        ]
        for logger in loggers:
            self._patched.append((logger, logger.level))
            logger.setLevel(logging.DEBUG)
            if logger is logging.getLogger() or not logger.propagate:
                logger.addHandler(self)
        return self

    def __exit__(self, *exc) -> None:
        for logger, level in self._patched:
            logger.setLevel(level)
            logger.removeHandler(self)

    def lines(self) -> list[str]:
        formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
        return [formatter.format(record) for record in self.records]


class _Links(HTMLParser):
    """href targets and GET forms (action plus the query their default values would submit)."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self._form: dict | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attr = dict(attrs)
        if tag in ("a", "area", "link") and attr.get("href"):
            self.links.append(attr["href"])
        elif tag == "form":
            method = (attr.get("method") or "get").lower()
            self._form = {"action": attr.get("action") or "", "fields": []} if method == "get" else None
        elif self._form is not None and tag in ("input", "select", "textarea") and attr.get("name"):
            kind = (attr.get("type") or "text").lower()
            if kind in ("checkbox", "radio") and "checked" not in attr:
                return
            if kind not in ("submit", "button", "image", "file"):
                self._form["fields"].append((attr["name"], attr.get("value") or ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self._form is not None:
            query = urlencode(self._form["fields"])
            self.links.append(self._form["action"] + ("?" + query if query else ""))
            self.links.append(self._form["action"] or "?")
            self._form = None


NEVER_FOLLOW = ("/static/", "/logout/", "/admin/logout/")


def crawl(client: Client, starts: list[str], *, limit: int = 300) -> list[tuple[str, object, bytes]]:
    """Breadth-first over every same-site link and GET form reachable from `starts` (redirects
    included), at most `limit` pages. Addresses that differ only in query values (the admin's
    sort orders and filters: the same rows, ordered or narrowed) are fetched once per shape.
    Returns (path, response, body) for each page fetched."""

    def shape(parts) -> tuple:
        return parts.path, tuple(
            sorted({key for key, _value in parse_qsl(parts.query, keep_blank_values=True)})
        )

    queue, pages = deque(starts), []
    seen = {shape(urlsplit(start)) for start in starts}
    while queue and len(pages) < limit:
        path = queue.popleft()
        response = client.get(path)
        body = body_of(response)
        pages.append((path, response, body))
        targets = []
        if response.has_header("Location"):
            targets.append(response["Location"])
        if "html" in response.get("Content-Type", ""):
            parser = _Links()
            parser.feed(body.decode("utf-8", errors="replace"))
            targets += parser.links
        for target in targets:
            parts = urlsplit(urljoin("http://testserver" + path, target))
            if parts.scheme not in ("http", "https") or parts.netloc != "testserver":
                continue
            if shape(parts) not in seen and not parts.path.startswith(NEVER_FOLLOW):
                seen.add(shape(parts))
                queue.append(parts.path + ("?" + parts.query if parts.query else ""))
    return pages
