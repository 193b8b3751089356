"""Reads on cases. Every query starts from the access policy (D3), never from Case.objects."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.contrib.auth import get_user_model
from django.db.models import BooleanField, Count, ExpressionWrapper, Max, Prefetch, Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cocdesk import access, identity
from cocdesk.cases.models import (
    Case,
    Channel,
    ConflictDeclaration,
    ConflictSource,
    ConsequenceCatalogItem,
    IncidentOwner,
    InvolvementClearance,
    Kind,
    Party,
    PartyRole,
    Proposal,
    ProposalConsequence,
    ProposalKind,
    ProposalStatus,
    State,
    TimelineEntry,
)
from cocdesk.crypto import blind_index, index_hashes, search_index_hash
from cocdesk.receipts import reply_token_key

OWNERS_NEEDED = 2  # the plan: a primary and a secondary incident owner


def case_visible(*, user: object, reference: str) -> Case | None:
    """The case if `user` may read its file, else None (the caller answers 404)."""
    return access.cases_visible_to(user).filter(reference=reference).first()


def case_by_reply_token(*, token: str) -> Case | None:
    """System use (email threading): the case whose reply token this is (`conduct+TOKEN@…`),
    sealed or not, unless expunged. Nothing of it is shown to whoever wrote the email."""
    if not token:
        return None
    return Case.objects.filter(reply_token_key=reply_token_key(token), expunged_at__isnull=True).first()


def case_by_spool_id(*, spool_id: str) -> Case | None:
    """System use (importing the intake spool): the case a web submission already became."""
    return Case.objects.filter(spool_id=spool_id).first()


def case_for_safety(*, user: object, reference: str) -> Case | None:
    """The case if `user` may raise "someone may be in danger" on it (they see its reference only)."""
    return access.cases_for_safety(user).filter(reference=reference).select_related("event").first()


def cases_taken_here(*, user: object, references: list[str]) -> list[tuple[int, Case]]:
    """Of the reports `user` took on this device (`references`, by position), those they may still
    raise "someone may be in danger" on, newest first. The caller shows when, never the reference."""
    found = {c.reference: c for c in access.cases_for_safety(user).filter(reference__in=references)}
    return [(i, found[ref]) for i, ref in reversed(list(enumerate(references))) if ref in found]


def case_awaiting_declaration(*, user: object, reference: str) -> Case | None:
    """The case if `user` still has to declare on it (they may see the prompt only)."""
    return access.cases_awaiting_declaration_by(user).filter(reference=reference).first()


# --- the conflict prompt and who is involved (D3) ----------------------------------------------------


def reported_names(*, case: Case) -> list[str]:
    """The reported people as the reporter named them, each with the handle they gave: "Jamie Doe
    (@jamied)", or the handle alone. Never an email address, never the reporter or a witness."""
    names = []
    for party in case.parties.all():
        if party.role != PartyRole.REPORTED:
            continue
        # "Kevin D.," as typed: a trailing comma would read "Kevin D., has been reported".
        name, handle = party.name.strip().rstrip(",;:").strip(), party.handle.strip()
        if name and handle:
            names.append(f"{name} ({handle})")
        elif name or handle:
            names.append(name or handle)
    return names


def _listed(names: list[str]) -> str:
    if len(names) < 2:
        return "".join(names)
    return _("%(first)s and %(last)s") % {"first": ", ".join(names[:-1]), "last": names[-1]}


@dataclass(frozen=True)
class Prompt:
    """What a member sees before declaring (the plan: "[name] has been reported by [channel]")."""

    text: str
    subject: str = ""  # an emailed report's subject line, shown until its reported people are added


def case_prompt(*, case: Case) -> Prompt:
    """ "NAME(S) has/have been reported by CHANNEL", or "Someone …" when nobody is named. An emailed
    report whose reported people nobody has added yet shows its subject line too."""
    names = reported_names(case=case)
    channel = case.channel_phrase
    if names:
        text = ngettext(
            "%(names)s has been reported %(channel)s.",
            "%(names)s have been reported %(channel)s.",
            len(names),
        ) % {"names": _listed(names), "channel": channel}
    else:
        text = _("Someone has been reported %(channel)s.") % {"channel": channel}
    subject = ""
    if not names and case.channel == Channel.EMAIL:
        subject = str((case.intake_details or {}).get("subject") or "")
    return Prompt(text=text, subject=subject)


def case_people(*, case: Case) -> QuerySet[Party]:
    """The reported people and witnesses of a case the caller may read (not the reporter)."""
    return case.parties.filter(role__in=(PartyRole.REPORTED, PartyRole.WITNESS)).order_by("role", "pk")


def case_lacks_reported_people(*, case: Case) -> bool:
    """No reported person has a name or handle yet: members cannot tell whether they have a
    conflict, so the first member taking part is asked to add them (emailed reports, D3)."""
    return not reported_names(case=case)


FREE_TEXT_FIELDS = ("description", "occurred_when", "occurred_where")


@dataclass(frozen=True)
class CaseProbes:
    """What a case says about who is involved, as blind indexes (computed in memory, never stored)."""

    parties: list[tuple[Party, frozenset[str]]]
    text: frozenset[str]


def case_identity_probes(*, case: Case, words: frozenset[str] | None = None) -> CaseProbes:
    """Each party's identifiers, and the names, @handles and addresses in the report's free text
    (what happened, when, where, an email's subject), as `cocdesk.identity` keys hashed with the
    index key: members' identities are compared with these (`cases.services.conflicts_recheck`).
    `words`: the words of the members' names (`identity.vocabulary`); runs of other words in the
    free text can match none of them and are not hashed."""
    parties = []
    for party in case.parties.all():
        probes: set[str] = set()
        for kind in identity.KINDS:
            probes |= identity.probe_keys(kind, getattr(party, kind))
        parties.append((party, index_hashes(probes)))
    texts = [getattr(case, name) or "" for name in FREE_TEXT_FIELDS]
    subject = (case.intake_details or {}).get("subject") if isinstance(case.intake_details, dict) else ""
    texts.append(subject if isinstance(subject, str) else "")
    found: set[str] = set()
    for text in texts:
        found |= identity.text_probe_keys(text, words=words)
    return CaseProbes(parties=parties, text=index_hashes(found))


def cleared_keys(*, case: Case, member: object) -> set[str]:
    """The partial matches another member already cleared for `member` on `case`."""
    clearance = InvolvementClearance.objects.filter(case=case, member=member).first()
    return set(clearance.keys) if clearance else set()


def possibly_involved(*, case: Case) -> QuerySet[ConflictDeclaration]:
    """Members held because they were partly matched: shown to the members taking part, who may
    clear them. The held member is never told."""
    conflicted = case.declarations.filter(has_conflict=True).only("pk", "source")
    held = [d.pk for d in conflicted if d.source == ConflictSource.POSSIBLE]  # encrypted: read, then filter
    return case.declarations.filter(pk__in=held).select_related("member")


def case_undeclared_names(*, case: Case) -> list[str]:
    """Who has not answered the conflict question yet (names only, for the members taking part)."""
    return list(access.members_undeclared_on(case).order_by("name").values_list("name", flat=True))


def undeclared_names_by_case(*, cases: list[Case]) -> dict[int, list[str]]:
    """`case_undeclared_names` for many cases in two queries (the dashboard)."""
    members = list(access.active_committee().order_by("name", "pk").values_list("pk", "name"))
    declared = set(
        ConflictDeclaration.objects.filter(case__in=[c.pk for c in cases]).values_list("case_id", "member_id")
    )
    return {case.pk: [name for pk, name in members if (case.pk, pk) not in declared] for case in cases}


def case_participants(*, case: Case) -> QuerySet:
    return access.case_participants(case).order_by("name")


def case_needs_owners(*, case: Case) -> bool:
    """The one definition: a case needs owners until it has both a primary and a secondary one."""
    return case.owners.count() < OWNERS_NEEDED


def case_current_round(*, case: Case) -> int:
    """The decision round: 1, plus one for every conversation in which the plan was refused."""
    return 1 + case.conversations.filter(plan_accepted=False).count()


def reporter_address(*, case: Case) -> str:
    """Where the reporter gets email: their own address if named, else the notification-only one."""
    if case.kind == Kind.NAMED:
        return next((p.email for p in case.parties.filter(role=PartyRole.REPORTER) if p.email), "")
    return case.notify_email


def case_made_by_member(*, case: Case) -> object | None:
    """The active committee member who took the report, or made it (a reporter matched to them),
    if one did (escrow records who triggered a match, D7)."""
    committee = access.active_committee()
    if case.received_by_id and committee.filter(pk=case.received_by_id).exists():
        return case.received_by
    linked = [p.member_pk for p in case.parties.filter(role=PartyRole.REPORTER) if p.member_pk]
    return committee.filter(pk__in=linked).order_by("pk").first() if linked else None


def party_member(*, party: Party) -> object | None:
    """The member `party` was matched to (`conflicts_recheck`), if any: the link is encrypted."""
    pk = party.member_pk
    return get_user_model().objects.filter(pk=pk).first() if pk else None


def same_person_parties(*, case: Case) -> QuerySet[Party]:
    """Reported people on other cases who share a name, email address or handle (by blind index)
    with a person reported on `case`: the one definition of "the same person" (D7)."""
    mine = Party.objects.filter(case=case, role=PartyRole.REPORTED)
    match = Q(pk__in=[])
    for field in ("name_index", "email_index", "handle_index"):
        values = [v for v in mine.values_list(field, flat=True) if v]
        if values:
            match |= Q(**{f"{field}__in": values})
    return Party.objects.filter(match, role=PartyRole.REPORTED).exclude(case=case)


def cases_naming_same_person(*, case: Case) -> QuerySet[Case]:
    """Other cases, not expunged, that report the same person as `case` (escrow matching, D7)."""
    others = same_person_parties(case=case).values("case_id")
    return Case.objects.filter(pk__in=others, expunged_at__isnull=True).order_by("received_at", "pk")


def case_latest_related_report_at(*, case: Case) -> datetime | None:
    """When the latest later report naming the same reported person arrived, or None (retention)."""
    later = same_person_parties(case=case).filter(case__received_at__gt=case.received_at)
    return later.aggregate(at=Max("case__received_at"))["at"]


def case_consequences_in_force(*, case: Case, today: date) -> bool:
    """True while a consequence the committee decided on the case still applies: such a case keeps
    its content (no expunge date). A consequence applies until its end date; one with a duration
    but no date ("indefinitely", "for a certain time") applies until someone records an end date;
    one with neither (a warning) is over once given."""
    decided = ProposalConsequence.objects.filter(
        proposal__case=case,
        proposal__kind=ProposalKind.CONSEQUENCES,
        proposal__status=ProposalStatus.PASSED,
    ).filter(Q(until__gt=today) | Q(until__isnull=True))
    # The duration is encrypted, so whether one was given is read here, not asked of the database.
    return any(c.until is not None or c.duration.strip() for c in decided.only("until", "duration"))


def proposal_tally(*, proposal: Proposal) -> dict[str, int]:
    """Counts only the votes of members taking part now: a member who declared a conflict loses their vote."""
    participant_ids = set(access.case_participants(proposal.case).values_list("pk", flat=True))
    counted = [v for v in proposal.votes.all() if v.member_id in participant_ids]
    result = {choice: sum(1 for v in counted if v.choice == choice) for choice in ("yes", "no", "abstain")}
    result["participants"] = len(participant_ids)
    result["not_voted"] = len(participant_ids) - len(counted)
    return result


def case_timeline(*, case: Case) -> QuerySet[TimelineEntry]:
    return case.timeline.select_related("author").order_by("at", "pk")


SORTS = {
    "newest": ("-received_at", "-pk"),
    # By the next deadline: computed from the rules (deadlines.selectors.by_next_deadline), newest
    # first among cases with none.
    "deadline": ("-received_at", "-pk"),
    "oldest": ("received_at", "pk"),
    "state": ("state", "-received_at"),
    "reference": ("reference",),
}


@dataclass(frozen=True)
class CaseListing:
    """Filters and sorting of the case list, parsed from the query string (unknown values ignored)."""

    q: str = ""
    state: str = ""
    mine: bool = False
    urgent: bool = False
    needs_owners: bool = False
    sort: str = "newest"
    user_id: int | None = None

    @classmethod
    def from_query(cls, query: dict) -> CaseListing:
        state = query.get("state", "")
        return cls(
            q=query.get("q", "").strip()[:200],
            state=state if state in State.values else "",
            mine=query.get("mine") == "1",
            urgent=query.get("urgent") == "1",
            needs_owners=query.get("needs_owners") == "1",
            sort=query.get("sort") if query.get("sort") in SORTS else "newest",
        )


def cases_list(*, user: object, listing: CaseListing | None = None) -> QuerySet[Case]:
    """The case list ("the spreadsheet"): what the user may read, with owners in one query."""
    listing = listing or CaseListing()
    cases = access.cases_visible_to(user).annotate(
        owner_count=Count("owners", distinct=True),
        needs_owners=ExpressionWrapper(Q(owner_count__lt=OWNERS_NEEDED), output_field=BooleanField()),
    )
    if listing.q:
        cases = cases.filter(_search(listing.q))
    if listing.state:
        cases = cases.filter(state=listing.state)
    if listing.mine:
        cases = cases.filter(owners__member=user)
    if listing.urgent:
        cases = cases.filter(urgent=True)
    if listing.needs_owners:
        cases = cases.filter(needs_owners=True)
    return cases.prefetch_related(
        Prefetch("owners", queryset=IncidentOwner.objects.select_related("member"))
    ).order_by(*SORTS[listing.sort])


_EXACT = (("name", "name_index"), ("email", "email_index"), ("handle", "handle_index"))


def _search(q: str) -> Q:
    """By reference; by a party's exact name, email address or handle; or by parts of a name or
    handle, every word of the search in the same person ("Kevin D", "kdev"). All through blind
    indexes: names are never stored in the clear, so there is no substring search on them."""
    parties = Q()
    for kind, field in _EXACT:
        parties |= Q(**{field: blind_index(q, kind=kind)})
    words = identity.search_words(q)
    if words:
        every = Q()
        for word in words:
            either = Q()
            for key in word.keys:
                either |= Q(search_indexes__contains=search_index_hash(key))
            every &= either
        parties |= every
    return Q(reference__icontains=q) | Q(pk__in=Party.objects.filter(parties).values("case_id"))


def _how_found(q: str, party: Party, words: list[identity.SearchWord]) -> list[str]:
    exact = {
        "name": _("full name"),
        "email": _("email address"),
        "handle": _("handle"),
    }
    found = [
        label for kind, label in exact.items() if getattr(party, f"{kind}_index") == blind_index(q, kind=kind)
    ]
    if found or not words:
        return found
    stored = set(party.search_indexes.split())
    described = {
        identity.Found.NAME_PREFIX: _("name starts with “%(word)s”"),
        identity.Found.NAME_WORD: _("name has the word “%(word)s”"),
        identity.Found.HANDLE_PREFIX: _("handle starts with “%(word)s”"),
    }
    for word in words:
        kinds = [kind for key, kind in word.keys.items() if search_index_hash(key) in stored]
        if not kinds:
            return []  # every word must be found in the same person
        found.extend(described[kind] % {"word": word.word} for kind in kinds)
    return found


def cases_search_explained(*, cases: list[Case], q: str) -> dict[int, list[str]]:
    """How each of these cases (already narrowed to what the member may see: `cases_list`) matched
    the search, for the results to say: "Reference", "Reported person: name starts with “kevin”"."""
    if not q:
        return {}
    words = identity.search_words(q)
    explained: dict[int, list[str]] = {case.pk: [] for case in cases}
    for case in cases:
        if q.casefold() in case.reference.casefold():
            explained[case.pk].append(_("Reference"))
    parties = Party.objects.filter(case__in=list(explained)).only(
        "case_id", "role", "name_index", "email_index", "handle_index", "search_indexes"
    )
    for party in parties:
        how = _how_found(q, party, words)
        if how:
            explained[party.case_id].append(f"{party.get_role_display()}: {', '.join(how)}")
    return explained


@dataclass(frozen=True)
class ProposalView:
    proposal: Proposal
    counts: dict
    my_vote: str
    consequences: list


def case_proposals(*, case: Case, member: object) -> list[ProposalView]:
    """Proposals with live tallies (only votes of members taking part count) and the member's own vote."""
    proposals = case.proposals.prefetch_related(
        "votes", Prefetch("consequences", queryset=ProposalConsequence.objects.select_related("catalog_item"))
    )
    views = []
    for proposal in proposals:
        mine = next((v.choice for v in proposal.votes.all() if v.member_id == member.pk), "")
        counts = (
            proposal.tally if proposal.status != ProposalStatus.OPEN else proposal_tally(proposal=proposal)
        )
        views.append(ProposalView(proposal, counts, mine, list(proposal.consequences.all())))
    return views


def consequence_catalog() -> QuerySet[ConsequenceCatalogItem]:
    return ConsequenceCatalogItem.objects.all()


def cases_awaiting_list(*, user: object) -> QuerySet[Case]:
    return access.cases_awaiting_declaration_by(user).prefetch_related(
        Prefetch("parties", queryset=Party.objects.order_by("role", "pk"))
    )


def declaration_of(*, case: Case, member: object) -> ConflictDeclaration | None:
    return ConflictDeclaration.objects.filter(case=case, member=member).first()


def rejoin_requests(*, case: Case) -> QuerySet[ConflictDeclaration]:
    """Members asking to take part after declaring a conflict (shown to participants)."""
    return case.declarations.filter(has_conflict=True, rejoin_requested_at__isnull=False).select_related(
        "member"
    )


def my_declared_conflicts(*, member: object) -> QuerySet[ConflictDeclaration]:
    """The member's own conflict declarations: references they already know, nothing more."""
    conflicted = ConflictDeclaration.objects.filter(member=member, has_conflict=True).only("pk", "source")
    declared = [
        d.pk for d in conflicted if d.source == ConflictSource.DECLARED
    ]  # encrypted: read, then filter
    return (
        ConflictDeclaration.objects.filter(pk__in=declared)
        .filter(case__expunged_at__isnull=True, case__sealed=False)
        .select_related("case")
        .only("case__reference", "declared_at", "rejoin_requested_at")
    )
