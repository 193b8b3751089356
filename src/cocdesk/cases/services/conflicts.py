"""Conflicts of interest (D3): declarations, recusals, rejoining, hand-offs.

Whoever changes who takes part in a case goes through here, so that votes are counted again and
ownership ends for a member who is no longer free of conflict. Each of these locks the case row
first (`case_lock`), the same order as voting, so a declaration racing a vote neither deadlocks
nor leaves a stale tally. Identities are matched here too (`conflicts_recheck`): members who are
parties to a case, by name, address or handle, in its parties or its free text, are conflicted
automatically; partly matched ones are held until cleared.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils.translation import gettext as _

from cocdesk import access, clock, identity, notices
from cocdesk.audit.services import audit_record
from cocdesk.cases.models import (
    Case,
    ConflictDeclaration,
    ConflictSource,
    Handoff,
    IncidentOwner,
    InvolvementClearance,
    Party,
    State,
    TimelineKind,
)
from cocdesk.cases.selectors import case_identity_probes, cleared_keys
from cocdesk.cases.services.deliberation import case_lock, case_transition, proposals_reevaluate
from cocdesk.cases.services.records import timeline_add
from cocdesk.errors import Refused
from cocdesk.identity import Strength
from cocdesk.members.selectors import IdentityIndex, identity_index

FREE_MEMBERS_NEEDED = 2  # fewer than two members free to act on a case: the chair is told

if TYPE_CHECKING:
    from cocdesk.members.models import Member


def conflict_auto(*, case: Case, member: Member, source: str) -> ConflictDeclaration:
    """A conflict nobody declared: the member is a party to the case, partly matched (held), or the
    reporter excluded them. A member who was taking part stops at once: their ownership ends and
    open proposals are counted again without their vote (as `conflict_set`)."""
    existing = ConflictDeclaration.objects.select_for_update().filter(case=case, member=member).first()
    declaration, _created = ConflictDeclaration.objects.update_or_create(
        case=case,
        member=member,
        defaults={"has_conflict": True, "source": source, "declared_at": clock.now()},
    )
    if existing is not None and not existing.has_conflict:
        IncidentOwner.objects.filter(case=case, member=member).delete()
        _participation_changed(case, member)
    return declaration


# --- identities (D3): every party identifier and the report's free text, against every member ------


@transaction.atomic
def conflicts_recheck(
    *, case: Case, members: list[Member] | None = None, actor: object | str | None = "system"
) -> list[ConflictDeclaration]:
    """Match what `case` says about who is involved (its parties and its free text, as blind
    indexes: `selectors.case_identity_probes`) against members' identities (`cocdesk.identity`),
    for every member subject to conflicts or just `members`. Run whenever either side changes: a
    report stored, a party added or edited, a report unsealed, a member added or their identities
    changed.

    Side effects: a full match (name, address or handle) conflicts the member automatically
    (source PARTY; a member taking part stops, their ownership ends, proposals are re-counted);
    the matched party row is linked to the member. A partial match holds a member who has no
    conflict yet (source POSSIBLE) until another member taking part clears them; partial matches
    already cleared hold nobody again. Conflicts found stay when either side changes later. Audit
    `conflict.matched` (on the case, naming no member) per change; the chair is told if fewer
    than two members remain free to act. Returns the declarations made or changed.
    """
    if case.expunged_at is not None:
        return []
    return _recheck(case, index=identity_index(members=members), actor=actor)


@transaction.atomic
def conflicts_recheck_member(*, member: Member, actor: object | str | None = "system") -> int:
    """Re-check one member against every case whose content still exists (sealed ones too): they
    joined, or their identities changed. Returns how many cases they are now conflicted or held on."""
    index = identity_index(members=[member])
    if not index.keys:
        return 0
    changed = 0
    for case in access.cases_for_identity_check().order_by("pk"):
        changed += bool(_recheck(case, index=index, actor=actor))
    return changed


def _recheck(case: Case, *, index: IdentityIndex, actor: object | str | None) -> list[ConflictDeclaration]:
    probes = case_identity_probes(case=case, words=index.words)
    changed = []
    for member, keys in index.keys.items():
        strength, partial, parties = None, set(), []
        for party, party_probes in [*probes.parties, (None, probes.text)]:
            found = identity.match(keys, party_probes)
            if found is None:
                continue
            strength = max(strength or found.strength, found.strength)
            partial |= found.partial_keys
            if party is not None and found.strength == Strength.FULL and party.member_pk is None:
                parties.append(party.pk)
        for pk in parties:  # one by one: each row its own ciphertext, so equal links do not show
            Party.objects.filter(pk=pk).update(member_ref=str(member.pk))
        if strength is None:
            continue
        declaration = _identity_conflict(case, member, strength, partial, actor=actor)
        if declaration is not None:
            changed.append(declaration)
    if changed:
        case_free_members_check(case=case)
    return changed


def _identity_conflict(
    case: Case, member: Member, strength: Strength, partial: set[str], *, actor: object | str | None
) -> ConflictDeclaration | None:
    existing = ConflictDeclaration.objects.filter(case=case, member=member).first()
    if strength == Strength.FULL:
        settled = (ConflictSource.PARTY, ConflictSource.EXCLUDED)
        if existing is not None and existing.has_conflict and existing.source in settled:
            return None
        source = ConflictSource.PARTY
    else:
        if existing is not None and existing.has_conflict:
            return None  # already sees nothing
        if partial <= cleared_keys(case=case, member=member):
            return None  # another member already said this is not them
        source = ConflictSource.POSSIBLE
    declaration = conflict_auto(case=case, member=member, source=source)
    # The case only, and one action for every kind of match: the audit log does not say who a
    # report names, or that a member was matched at all (issue 16).
    audit_record(actor=actor, action="conflict.matched", target=case)
    return declaration


@transaction.atomic
def conflict_possible_clear(*, case: Case, member: Member, by: Member) -> InvolvementClearance:
    """A member taking part confirms that a member held as possibly involved is not the person the
    case names. The held member becomes an ordinary member who has not declared yet: they are asked
    (the prompt, a notice) and never told why they were held.

    Side effects: their POSSIBLE declaration removed; an InvolvementClearance holding the blind
    indexes of the partial matches cleared (the same matches never hold them again); audit
    `conflict.possible_cleared`; the new-report notice to them if they never had it.
    """
    if by.pk == member.pk or not access.case_participants(case).filter(pk=by.pk).exists():
        raise Refused(_("Another member taking part in the case has to do this."))
    held = (
        ConflictDeclaration.objects.select_for_update()
        .filter(case=case, member=member, has_conflict=True)
        .first()
    )
    if held is None or held.source != ConflictSource.POSSIBLE:
        raise Refused(_("This member is not waiting to be cleared on this case."))
    index = identity_index(members=[member])
    probes = case_identity_probes(case=case, words=index.words)
    keys = index.keys.get(member, {})
    partial = set(cleared_keys(case=case, member=member))
    for _party, found in [*probes.parties, (None, probes.text)]:
        matched = identity.match(keys, found)
        if matched is not None:
            partial |= matched.partial_keys
    clearance, _created = InvolvementClearance.objects.update_or_create(
        case=case,
        member=member,
        defaults={"keys": sorted(partial), "cleared_by": by, "cleared_at": clock.now()},
    )
    held.delete()
    audit_record(actor=by, action="conflict.possible_cleared", target=clearance)
    notices.case_new(case=case)
    return clearance


def case_free_members_check(*, case: Case) -> list[int]:
    """The chair is told when fewer than two members remain free to act on a case (excluded,
    parties, held or declared conflicts). Only a chair free of conflict on it is told; nothing is
    said of a sealed case. Returns the ids of the chairs told (once per case)."""
    if case.sealed or case.expunged_at is not None:
        return []
    if access.members_to_notify(case).count() >= FREE_MEMBERS_NEEDED:
        return []
    return notices.case_short_of_members(case=case)


@transaction.atomic
def conflict_declare(*, case: Case, member: Member, has_conflict: bool) -> ConflictDeclaration:
    """A member answers "Do you have a conflict?" (no reason asked). Declaring a conflict, or
    recusing later, takes effect at once; clearing a conflict needs another participant's agreement."""
    case_lock(case)
    existing = ConflictDeclaration.objects.select_for_update().filter(case=case, member=member).first()
    if existing is not None and existing.has_conflict and not has_conflict:
        raise Refused(_("Changing a conflict back to no conflict needs another member's agreement."))
    if has_conflict:
        return conflict_set(case=case, member=member)
    declaration, _created = ConflictDeclaration.objects.get_or_create(
        case=case, member=member, defaults={"has_conflict": False, "declared_at": clock.now()}
    )
    audit_record(actor=member, action="conflict.declared_none", target=case)
    _participation_changed(case, member)
    return declaration


@transaction.atomic
def conflict_set(*, case: Case, member: Member, actor: object | str | None = None) -> ConflictDeclaration:
    """Record a conflict (declared, or a recusal): the member's access ends with this transaction.

    `actor` is who did it when it is not the member (off-boarding, a hand-off recorded for them)."""
    case_lock(case)
    declaration, created = ConflictDeclaration.objects.get_or_create(
        case=case, member=member, defaults={"has_conflict": True, "source": ConflictSource.DECLARED}
    )
    if not created and not declaration.has_conflict:
        declaration.has_conflict, declaration.declared_at = True, clock.now()
        declaration.save(update_fields=["has_conflict", "declared_at"])
    audit_record(actor=actor or member, action="conflict.declared", target=case)
    IncidentOwner.objects.filter(case=case, member=member).delete()  # a conflicted member cannot own it
    _participation_changed(case, member)
    case_free_members_check(case=case)
    return declaration


@transaction.atomic
def conflict_rejoin_request(*, case: Case, member: Member) -> ConflictDeclaration:
    """A member who declared a conflict asks to take part after all. Only their own declaration
    counts: a party to the case, or a member the reporter excluded, can never rejoin."""
    case_lock(case)
    declaration = (
        ConflictDeclaration.objects.select_for_update()
        .filter(case=case, member=member, has_conflict=True)
        .first()
    )
    if declaration is None or declaration.source != ConflictSource.DECLARED:
        raise Refused(_("There is no conflict declaration of yours to change on this case."))
    declaration.rejoin_requested_at = clock.now()
    declaration.save(update_fields=["rejoin_requested_at"])
    audit_record(actor=member, action="conflict.rejoin_requested", target=case)
    notices.rejoin_request(declaration=declaration)
    return declaration


@transaction.atomic
def conflict_rejoin_agree(*, case: Case, member: Member, by: Member) -> ConflictDeclaration:
    """Another participating member agrees: the member takes part from now on."""
    case_lock(case)
    if by.pk == member.pk or not access.case_participants(case).filter(pk=by.pk).exists():
        raise Refused(_("Another member taking part in the case has to agree."))
    declaration = ConflictDeclaration.objects.select_for_update().get(
        case=case, member=member, has_conflict=True, rejoin_requested_at__isnull=False
    )
    if declaration.source != ConflictSource.DECLARED:  # a party or an excluded member never rejoins
        raise ConflictDeclaration.DoesNotExist
    declaration.has_conflict, declaration.rejoin_requested_at, declaration.declared_at = (
        False,
        None,
        clock.now(),
    )
    declaration.save(update_fields=["has_conflict", "rejoin_requested_at", "declared_at"])
    audit_record(actor=by, action="conflict.rejoin_agreed", object_type="case", object_id=case.pk)
    _participation_changed(case, member)
    return declaration


@transaction.atomic
def handoff_record(*, case: Case, from_member: Member, to_member: Member) -> Handoff:
    """The plan: a responder who suspects a conflict gets another member to take the report."""
    handoff = Handoff.objects.create(case=case, from_member=from_member, to_member=to_member)
    if from_member.is_committee:
        conflict_set(case=case, member=from_member)
    timeline_add(
        case=case,
        author=from_member,
        kind=TimelineKind.HANDOFF,
        text=_("Handed to %(name)s because of a possible conflict of interest.") % {"name": to_member.name},
    )
    audit_record(actor=from_member, action="case.handed_off", target=case)
    return handoff


def _participation_changed(case: Case, member: Member) -> None:
    """Votes are counted again when someone joins or leaves; a new case moves into triage."""
    proposals_reevaluate(case=case)
    case.refresh_from_db(fields=["state"])
    if case.state == State.NEW and access.case_participants(case).exists():
        case_transition(case=case, to=State.TRIAGE, by=member)


@transaction.atomic
def case_unseal(*, case: Case, by: Member, because: str) -> Case | None:
    """An escrowed report becomes an ordinary case the committee acts on. Returns None if it was
    not sealed (any more). Members are matched against it again first (`conflicts_recheck`), so
    nobody it names is asked about it. Side effects: Case.sealed, a timeline entry, audit
    `escrow.unsealed`, the re-check's."""
    case = Case.objects.select_for_update().get(pk=case.pk)
    if not case.sealed:
        return None
    conflicts_recheck(case=case, actor=by)
    case.sealed = False
    case.save(update_fields=["sealed"])
    timeline_add(case=case, author=by, kind=TimelineKind.ESCROW, text=because)
    audit_record(actor=by, action="escrow.unsealed", target=case)
    case_free_members_check(case=case)
    return case
