"""The single authorization policy (D3).

Every view, selector, export, notification and command asks here. Deny by default: each function
answers True only for the roles and states it names, and every case query starts from
`cases_visible_to` or `cases_awaiting_declaration_by`, never from `Case.objects`.

The rule: a committee member sees a case only after declaring "no conflict" on it. Until then they
see the reference, the channel and the reported people's names (to decide whether they have a
conflict). A member who is conflicted - declared, a party (matched by identity), possibly involved
(partly matched, held until another member clears them), or excluded by the reporter - sees
nothing at all, not even that the case exists. The community manager follows the same rules for
the records shared with them. Sealed (escrowed) cases are seen by nobody until unsealed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Exists, OuterRef, Q, QuerySet

from cocdesk import clock
from cocdesk.cases.models import Case, ConflictDeclaration, LawEnforcementRecord, Party, State
from cocdesk.escrow.models import EscrowMatch
from cocdesk.intake.models import Event
from cocdesk.members.models import COMMITTEE_ROLES, ChairElection, Member, Offboarding, Removal, Role


def _verified(user: object) -> bool:
    return bool(
        getattr(user, "is_authenticated", False)
        and getattr(user, "is_active", False)
        and getattr(user, "is_verified", lambda: False)()
    )


def _committee(user: object) -> bool:
    """An active committee account (verification is checked by the callers that serve requests)."""
    return bool(getattr(user, "is_active", False) and getattr(user, "role", None) in COMMITTEE_ROLES)


def active_committee() -> QuerySet:
    """Every active committee member and chair: the roster the rules below narrow down."""
    return Member.objects.filter(is_active=True, role__in=COMMITTEE_ROLES)


def members_subject_to_conflicts() -> QuerySet:
    """Whose identities reports are matched against (D3): active committee members, the chair and
    the community manager. Event responders and the site operator see no case, so have none."""
    return Member.objects.filter(is_active=True, role__in=(*COMMITTEE_ROLES, Role.COMMUNITY_MANAGER))


def _subject_to_conflicts(member: object) -> bool:
    return bool(
        getattr(member, "is_active", False)
        and getattr(member, "role", None) in (*COMMITTEE_ROLES, Role.COMMUNITY_MANAGER)
    )


def may_keep_identities(user: object) -> bool:
    """A verified member or community manager keeps the list of names, addresses and handles
    they are known by."""
    return _verified(user) and _subject_to_conflicts(user)


def may_edit_identities(actor: object, member: object) -> bool:
    """Their own identities, or, for the chair, anyone's whose identities count (D3)."""
    if not _subject_to_conflicts(member):
        return False
    own = getattr(actor, "pk", None) == getattr(member, "pk", None) and _subject_to_conflicts(actor)
    return own or (_committee(actor) and getattr(actor, "role", None) == Role.CHAIR)


def is_committee_member(user: object) -> bool:
    """A verified committee member or chair."""
    return _verified(user) and _committee(user)


def is_chair(user: object) -> bool:
    return _verified(user) and getattr(user, "role", None) == Role.CHAIR


def can_open_dashboard(user: object) -> bool:
    """Any verified account but the site operator's has a dashboard; what it lists depends on the role."""
    return _verified(user) and getattr(user, "role", None) != Role.OPERATOR


# --- the committee over time (D8) -----------------------------------------------------------
# Functions taking `user` serve requests (verified login); those taking `member` are also used by
# the services, which run without a request.


def removals_visible_to(user: object) -> QuerySet:
    """Removal discussions a committee member may see: all but those about themselves. The member
    concerned learns nothing of one: not the page, not a line in a list, not a count, not an email."""

    if not is_committee_member(user):
        return Removal.objects.none()
    return Removal.objects.exclude(member=user)


def may_see_removal(user: object, removal: object) -> bool:
    return removals_visible_to(user).filter(pk=getattr(removal, "pk", None)).exists()


def removal_voters(removal: object) -> QuerySet:
    """Who takes part in a removal discussion, may vote and is told about it: every active
    committee member but the one concerned."""
    return active_committee().exclude(pk=getattr(removal, "member_id", None))


def may_open_removal(member: object, about: object) -> bool:
    """Any active committee member may open a discussion about another active committee member."""
    return _committee(member) and _committee(about) and getattr(about, "pk", None) != member.pk


def may_vote_on_removal(member: object, removal: object) -> bool:
    return (
        getattr(removal, "status", None) == "open"
        and removal_voters(removal).filter(pk=getattr(member, "pk", None)).exists()
    )


def may_manage_offboarding(user: object) -> bool:
    """The roster, off-boarding checklists and notices: the chair (D1). While the committee has no
    active chair, every committee member (who act for the chair two together, see
    `may_act_for_chair_on_offboarding`), so that off-boarding can always be finished."""
    return is_chair(user) or (is_committee_member(user) and not chairs().exists())


def may_change_roles(user: object) -> bool:
    """The roster's role changes: the chair (D1)."""
    return is_chair(user)


def _administers(account: object) -> bool:
    """The site operator's account, or any with admin rights (the two are the same, by constraint)."""
    return bool(
        getattr(account, "role", None) == Role.OPERATOR
        or getattr(account, "is_staff", False)
        or getattr(account, "is_superuser", False)
    )


def role_accounts_for(user: object) -> QuerySet:
    """Accounts whose role the chair may change: active ones, never the chair's own (a chair's role
    changes by another chair or the command line) and never the site operator's."""
    if not may_change_roles(user):
        return Member.objects.none()
    return (
        Member.objects.filter(is_active=True, is_staff=False, is_superuser=False)
        .exclude(role=Role.OPERATOR)
        .exclude(pk=user.pk)
    )


def may_change_role_of(member: object, account: object) -> bool:
    """For the services: an active chair changing another account's role, not the site operator's."""
    return (
        _committee(member)
        and getattr(member, "role", None) == Role.CHAIR
        and getattr(account, "pk", None) != getattr(member, "pk", None)
        and not _administers(account)
    )


def offboardings_visible_to(user: object) -> QuerySet:

    if not may_manage_offboarding(user):
        return Offboarding.objects.none()
    return Offboarding.objects.exclude(member=user)


def may_work_on_offboarding(member: object, offboarding: object) -> bool:
    """Ticking the checklist and sending the notice alone: an active chair, not the one leaving."""
    return (
        _committee(member)
        and getattr(member, "role", None) == Role.CHAIR
        and getattr(member, "pk", None) != getattr(offboarding, "member_id", None)
    )


def offboarding_has_no_chair(offboarding: object) -> bool:
    """No active chair is left to finish this off-boarding (the only chair may be the one leaving)."""
    return not chairs().exclude(pk=getattr(offboarding, "member_id", None)).exists()


def may_act_for_chair_on_offboarding(member: object, offboarding: object) -> bool:
    """While no active chair is left: any active committee member but the one leaving may propose or
    confirm one of the chair's steps. A step happens only when a second, different member confirms
    it (`members.services.offboarding_step_confirm`)."""
    return (
        _committee(member)
        and getattr(member, "pk", None) != getattr(offboarding, "member_id", None)
        and offboarding_has_no_chair(offboarding)
    )


def offboarding_stewards(offboarding: object) -> QuerySet:
    """Who is told to finish an off-boarding: the active chair(s); without one, every active
    committee member. Never the one leaving."""
    leaving = getattr(offboarding, "member_id", None)
    found = chairs().exclude(pk=leaving)
    return found if found.exists() else active_committee().exclude(pk=leaving)


def chair_elections_visible_to(user: object) -> QuerySet:
    """Chair elections are the committee's own business: every committee member sees them all."""
    if not is_committee_member(user):
        return ChairElection.objects.none()
    return ChairElection.objects.all()


def may_open_chair_election(member: object, candidate: object) -> bool:
    """Any active committee member may propose any active committee member who is not a chair yet
    (themselves included)."""
    return _committee(member) and _committee(candidate) and getattr(candidate, "role", None) != Role.CHAIR


def chair_election_voters() -> QuerySet:
    """Every active committee member votes, the candidate included; the electorate is all of them."""
    return active_committee()


def may_vote_in_chair_election(member: object, election: object) -> bool:
    return (
        getattr(election, "status", None) == "open"
        and chair_election_voters().filter(pk=getattr(member, "pk", None)).exists()
    )


# --- cases ---------------------------------------------------------------------------------------


def _live_cases() -> QuerySet[Case]:

    return Case.objects.filter(sealed=False, expunged_at__isnull=True)


def _declared(member: object, *, has_conflict: bool | None = None):

    declarations = ConflictDeclaration.objects.filter(case=OuterRef("pk"), member=member)
    if has_conflict is not None:
        declarations = declarations.filter(has_conflict=has_conflict)
    return Exists(declarations)


def cases_visible_to(user: object) -> QuerySet[Case]:
    """The cases whose file `user` may read: committee members who declared no conflict."""
    if not is_committee_member(user):
        return _live_cases().none()
    return _live_cases().filter(_declared(user, has_conflict=False))


def cases_awaiting_declaration_by(user: object) -> QuerySet[Case]:
    """Cases `user` has not declared on yet (they may see reference, channel and party names only)."""
    if not is_committee_member(user):
        return _live_cases().none()
    return _live_cases().exclude(_declared(user))


def may_view_case(user: object, case: Case) -> bool:
    return cases_visible_to(user).filter(pk=case.pk).exists()


# The person who took a report in person may raise "someone may be in danger" on it for this long
# after, or while its event lasts (D2), without seeing anything of the case.
TAKER_SAFETY_WINDOW = timedelta(days=3)


def cases_for_safety(user: object) -> QuerySet[Case]:
    """The cases on which `user` may raise "someone may be in danger" and read the safety page:
    those they take part in, and those they took themselves (in person, by phone or DM) within
    TAKER_SAFETY_WINDOW or while the event lasts — unless they have a conflict on it. The safety
    page shows nothing of the case but its reference."""
    if not (_verified(user) and takes_reports(user)):
        return _live_cases().none()
    return _cases_for_safety(user)


def _cases_for_safety(member: object) -> QuerySet[Case]:
    now = clock.now()
    recent = Q(received_at__gte=now - TAKER_SAFETY_WINDOW) | Q(event__ends_on__gte=now.date())
    taken = Q(taken_by=member) & recent & ~_declared(member, has_conflict=True)
    taking_part = _declared(member, has_conflict=False) if _committee(member) else Q(pk__in=[])
    return _live_cases().filter(taken | Q(taking_part))


def may_raise_danger(member: object, case: Case) -> bool:
    """For services (no request): the same rule as `cases_for_safety`."""
    if not takes_reports(member):
        return False
    return _cases_for_safety(member).filter(pk=case.pk).exists()


def members_to_notify(case: Case) -> QuerySet:
    """Committee members who may be told that `case` exists: everyone not conflicted on it.

    Members who have not declared yet are included (they must be asked); sealed cases notify nobody.
    """
    if case.sealed or case.expunged_at is not None:
        return active_committee().none()
    return _not_conflicted_on(case)


def case_participants(case: Case) -> QuerySet:
    """The members taking part in a case: active committee members who declared no conflict."""

    taking_part = ConflictDeclaration.objects.filter(case=case, member=OuterRef("pk"), has_conflict=False)
    return members_to_notify(case).filter(Exists(taking_part))


def _not_conflicted_on(case: Case) -> QuerySet:
    """Active committee members with no conflict recorded on `case`, sealed or not."""

    conflicted = ConflictDeclaration.objects.filter(case=case, member=OuterRef("pk"), has_conflict=True)
    return active_committee().exclude(Exists(conflicted))


def members_free_on_both(first: Case, second: Case) -> QuerySet:
    """Members with no conflict on either of two cases (escrow matches, D7), sealed or not."""
    return _not_conflicted_on(first).filter(pk__in=_not_conflicted_on(second).values("pk"))


def escrow_matches_for(user: object) -> QuerySet:
    """Escrow matches a member may see: only where they have no conflict on either case."""

    if not is_committee_member(user):
        return EscrowMatch.objects.none()
    conflicted = ConflictDeclaration.objects.filter(member=user, has_conflict=True).values("case_id")
    return (
        EscrowMatch.objects.filter(
            sealed_case__expunged_at__isnull=True, other_case__expunged_at__isnull=True
        )
        .exclude(sealed_case__in=conflicted)
        .exclude(other_case__in=conflicted)
    )


def may_be_notified(member: object, case: Case) -> bool:
    """Checked again when a queued notice is sent: a conflict declared since then withholds it."""
    if getattr(member, "role", None) == Role.COMMUNITY_MANAGER:
        return community_managers_for(case).filter(pk=getattr(member, "pk", None)).exists()
    return members_to_notify(case).filter(pk=getattr(member, "pk", None)).exists()


def members_to_update(case: Case) -> QuerySet:
    """Who hears that the reporter wrote: the members taking part; while nobody has declared yet,
    every member who may still be asked, so the message is not missed."""
    participants = case_participants(case)
    return participants if participants.exists() else members_to_notify(case)


def chairs() -> QuerySet:
    """The active chair(s): told of off-boardings and the transparency report."""
    return active_committee().filter(role=Role.CHAIR)


def community_managers_for(case: Case) -> QuerySet:
    """Community managers told that something of `case` was given to law enforcement: the same
    conflict rules as members (D3): not one who is a party, excluded, held or who declared a
    conflict; nobody for a sealed or expunged case."""
    if case.sealed or case.expunged_at is not None:
        return Member.objects.none()
    conflicted = ConflictDeclaration.objects.filter(case=case, member=OuterRef("pk"), has_conflict=True)
    return Member.objects.filter(role=Role.COMMUNITY_MANAGER, is_active=True).exclude(Exists(conflicted))


def is_community_manager(user: object) -> bool:
    return _verified(user) and getattr(user, "role", None) == Role.COMMUNITY_MANAGER


def _shared_records() -> QuerySet:
    return LawEnforcementRecord.objects.filter(case__expunged_at__isnull=True, case__sealed=False)


def _case_declared(member: object, *, has_conflict: bool | None = None):
    declarations = ConflictDeclaration.objects.filter(case=OuterRef("case"), member=member)
    if has_conflict is not None:
        declarations = declarations.filter(has_conflict=has_conflict)
    return Exists(declarations)


def law_enforcement_records_for(user: object) -> QuerySet:
    """What the community manager may read: exactly the law-enforcement records, nothing else, and
    only of cases on which they declared no conflict (the same rule as members, D3). Not those of a
    sealed (escrowed) case, which nobody sees until it is unsealed."""

    if is_community_manager(user):
        return _shared_records().filter(_case_declared(user, has_conflict=False))
    return LawEnforcementRecord.objects.none()


def law_enforcement_records_awaiting_declaration_by(user: object) -> QuerySet:
    """Records shared on cases the community manager has not declared on: they see the conflict
    prompt (the reported names and the channel) and nothing of the record until they answer."""
    if is_community_manager(user):
        return _shared_records().exclude(_case_declared(user))
    return LawEnforcementRecord.objects.none()


def may_export(user: object) -> bool:
    """Exports carry whole case files: committee members, after step-up (checked by the view)."""
    return is_committee_member(user)


# --- deadlines (D5) -----------------------------------------------------------------------


def cases_for_deadline_rules() -> QuerySet[Case]:
    """System use only (`cocdesk tick`): the cases whose deadlines are evaluated. Nobody reads
    them through this; whom to tell is decided by `members_to_remind` and `members_to_notify`."""
    return _live_cases()


def cases_for_retention() -> QuerySet[Case]:
    """System use only (`cocdesk tick`): closed cases whose content has not been deleted yet."""

    return Case.objects.filter(state=State.CLOSED, expunged_at__isnull=True)


def cases_for_identity_check() -> QuerySet[Case]:
    """System use only (conflict re-checks when a member or their identities change): every case
    whose content still exists, sealed ones included. Nothing of them is shown through this."""
    return Case.objects.filter(expunged_at__isnull=True)


def cases_awaiting_declaration_of(member: object) -> QuerySet[Case]:
    """The cases an active committee member has not answered the conflict question on, without a
    request at hand (the daily reminder): the same cases `cases_awaiting_declaration_by` lists."""
    if not _committee(member):
        return _live_cases().none()
    return _live_cases().exclude(_declared(member))


def members_undeclared_on(case: Case) -> QuerySet:
    """Members still to answer the conflict question on `case`: shown (names only) to the members
    taking part, and reminded. Nobody who is held or conflicted: they have a declaration."""
    declared = ConflictDeclaration.objects.filter(case=case, member=OuterRef("pk"))
    return members_to_notify(case).exclude(Exists(declared))


def retention_stewards(case: Case) -> QuerySet:
    """Who is told that a closed case's content will soon be deleted, and may keep it longer: the
    chair(s) not conflicted on it; when no chair may be (none left, or every chair conflicted), the
    members taking part, so that no deletion comes unannounced. Never a conflicted member."""
    free = members_to_notify(case)
    free_chairs = free.filter(role=Role.CHAIR)
    if free_chairs.exists():
        return free_chairs
    participants = case_participants(case)
    return participants if participants.exists() else free


def may_extend_retention(member: object, case: Case) -> bool:
    """Keeping one closed case longer: a retention steward who takes part in the case (declared no
    conflict, so may read its file)."""
    pk = getattr(member, "pk", None)
    return (
        _committee(member)
        and retention_stewards(case).filter(pk=pk).exists()
        and case_participants(case).filter(pk=pk).exists()
    )


def may_manage_retention(member: object) -> bool:
    """The committee's retention settings: an active chair edits them; every member may read them."""
    return _committee(member) and getattr(member, "role", None) == Role.CHAIR


def cases_taking_part(member: object) -> QuerySet[Case]:
    """The cases an active committee member declared no conflict on, without a request at hand
    (the calendar feed, reached by a token instead of a login): the same cases `cases_visible_to`
    gives that member after login."""
    if not _committee(member):
        return _live_cases().none()
    return _live_cases().filter(_declared(member, has_conflict=False))


def members_to_remind(case: Case) -> QuerySet:
    """Who is reminded of a case's deadline: its owners; without owners, the members taking part;
    when nobody has declared yet, every member not conflicted. Never a conflicted member."""
    notifiable = members_to_notify(case)
    owners = notifiable.filter(ownerships__case=case).distinct()
    if owners.exists():
        return owners
    participants = case_participants(case)
    if participants.exists():
        return participants
    return notifiable


# --- navigation -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Navigation:
    """What the menu offers `user`: templates read these flags, never role names."""

    committee: bool = False
    chair: bool = False
    takes_reports: bool = False
    shared_records: bool = False
    identities: bool = False
    roster: bool = False  # the roster and off-boarding (the chair; every member while there is none)
    check_ins: bool = False  # who answered the six-monthly check-in
    events: bool = False  # events and their responders


def navigation(user: object, *, database: bool = True) -> Navigation:
    """The menu for `user`. `database=False` answers from the account alone (during an outage the
    pages that still work keep their menu): the roster is then offered to the chair only."""
    return Navigation(
        committee=is_committee_member(user),
        chair=is_chair(user),
        takes_reports=may_take_reports(user),
        shared_records=is_community_manager(user),
        identities=may_keep_identities(user),
        roster=may_manage_offboarding(user) if database else is_chair(user),
        check_ins=is_chair(user),
        events=may_manage_events(user),
    )


# --- intake --------------------------------------------------------------------------------------


def takes_reports(member: object) -> bool:
    """Committee members take reports on any channel; event responders only for their events."""
    return _committee(member) or (
        getattr(member, "is_active", False) and getattr(member, "role", None) == Role.EVENT_RESPONDER
    )


def may_take_reports(user: object) -> bool:
    return _verified(user) and takes_reports(user)


def events_for_intake(user: object) -> QuerySet[Event]:

    if is_committee_member(user):
        return Event.objects.all()
    if may_take_reports(user):
        return Event.objects.filter(responders=user)
    return Event.objects.none()


def may_manage_events(user: object) -> bool:
    return is_chair(user)


# --- transparency reports (D6) ------------------------------------------------------------


def may_manage_transparency(user: object) -> bool:
    """Drafting, editing, checking and publishing the yearly report: the chair only."""
    return is_chair(user)


def may_read_transparency(user: object) -> bool:
    """Published reports (public text by design) are listed for every committee member."""
    return is_committee_member(user)


def cases_for_transparency() -> QuerySet[Case]:
    """System use only (the report generator): every case, sealed and expunged ones included, so
    that they are counted. Nothing of a case is shown through this but counts, its category and
    resolution, and the generalized summary its participants wrote for publication; sealed and
    expunged cases are counted only."""

    return Case.objects.all()


def parties_for_identifier_check() -> QuerySet:
    """System use only (before publishing a transparency report): the parties whose blind indexes the
    report's text is checked against. Nobody's identifiers are read through this: the check
    compares blind indexes, and a hit shows only the words of the report that matched, to the chair
    for the cases she may read and to each other case's own team (D6)."""

    return Party.objects.all()
