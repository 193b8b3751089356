"""Reads for accounts."""

from __future__ import annotations

import base64
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from cocdesk import access, clock, identity
from cocdesk.crypto import index_hash, secret_hash
from cocdesk.identity import Strength
from cocdesk.members.models import (
    ASSIGNABLE_ROLES,
    CHECKLIST,
    COMMITTEE_ROLES,
    ChairElection,
    ChairElectionVote,
    ElectionStatus,
    EnrolmentToken,
    IdentityKind,
    Member,
    MemberIdentity,
    Offboarding,
    OffboardingStep,
    Removal,
    RemovalPost,
    RemovalStatus,
    RemovalVote,
    Role,
    TOTPDevice,
)


def enrolment_token_find(*, token: str) -> EnrolmentToken | None:
    """The live enrolment token for a link, or None if it is unknown, used or expired."""
    return (
        EnrolmentToken.objects.select_related("member")
        .filter(
            token_hash=secret_hash(token),
            used_at__isnull=True,
            expires_at__gt=clock.now(),
            member__is_active=True,
        )
        .first()
    )


def member_by_email(*, email: str) -> Member | None:
    return Member.objects.filter(email=email.strip().lower()).first()


# --- identities (D3): what members are known by, matched against reports --------------------------


IdentityKeys = dict[str, Strength]  # blind index of a matching key -> strength of a match on it


def identity_keys_of(member: Member) -> IdentityKeys:
    """The blind indexes a member answers to: their account's address and name (which always
    count) and every identity they keep (`cocdesk.identity.identity_keys`, hashed)."""
    keys: IdentityKeys = {}
    pairs = [("email", member.email), ("name", member.name)]
    pairs += [(i.kind, i.value) for i in member.identities.all()]
    for kind, value in pairs:
        for key, strength in identity.identity_keys(kind, value).items():
            hashed = index_hash(key)
            keys[hashed] = max(keys.get(hashed, strength), strength)
    return keys


@dataclass(frozen=True)
class IdentityIndex:
    """The members reports are matched against, with their keys (blind indexes), and the words of
    their names (in memory only: free text is hashed only where it could match, D3)."""

    keys: dict[Member, IdentityKeys]
    words: frozenset[str]


def identity_index(*, members: list[Member] | None = None) -> IdentityIndex:
    """Everyone reports are matched against (`access.members_subject_to_conflicts`), or just
    `members` among them. Two queries, whatever the number of identities."""
    subject = list(_subject(members).prefetch_related("identities"))
    names = [m.name for m in subject]
    names += [i.value for m in subject for i in m.identities.all() if i.kind == IdentityKind.NAME]
    return IdentityIndex(
        keys={member: identity_keys_of(member) for member in subject}, words=identity.vocabulary(names)
    )


def _subject(members: list[Member] | None) -> QuerySet[Member]:
    subject = access.members_subject_to_conflicts()
    return subject if members is None else subject.filter(pk__in=[m.pk for m in members])


def identities_of(*, member: Member) -> QuerySet[MemberIdentity]:
    return member.identities.select_related("added_by")


def identity_for(*, user: object, pk: int) -> MemberIdentity | None:
    """An identity row `user` may change (their own; any, for the chair), or None."""
    found = MemberIdentity.objects.select_related("member").filter(pk=pk).first()
    if found is None or not access.may_edit_identities(user, found.member):
        return None
    return found


def identity_holders(*, user: object) -> QuerySet[Member]:
    """For the chair: everyone whose identities reports are matched against."""
    if not access.may_manage_offboarding(user):
        return Member.objects.none()
    return access.members_subject_to_conflicts().order_by("name", "pk")


def identity_owner_for(*, user: object, member_id: int) -> Member | None:
    """The member whose identities the chair opens from the roster, or None."""
    if not access.is_chair(user):
        return None
    member = access.members_subject_to_conflicts().filter(pk=member_id).first()
    return member if member is not None and access.may_edit_identities(user, member) else None


def committee_members() -> QuerySet[Member]:
    return access.active_committee()


def confirmed_devices(*, member: Member) -> QuerySet[TOTPDevice]:
    return TOTPDevice.objects.filter(user=member, confirmed=True)


def totp_secret_base32(device: TOTPDevice) -> str:
    """The secret as authenticator apps take it when typed in by hand."""
    return base64.b32encode(device.bin_key).decode().rstrip("=")


def totp_secret_grouped(device: TOTPDevice) -> str:
    """The same key in groups of four ("ABCD EFGH …"), easier to read and type on a phone.
    Authenticator apps ignore the spaces, so it may be copied as it is."""
    secret = totp_secret_base32(device)
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def totp_current_code(device: TOTPDevice) -> str:
    """The code an authenticator app shows now (development helper for `cocdesk totp`, and tests).

    Wall-clock time, not `clock.now()`: django-otp checks codes against the real time.
    """
    return f"{device.totp().token():0{device.digits}d}"


def lockout_username(request: object, credentials: dict | None) -> str:
    """The account a login attempt is for, as django-axes keys its lockouts (with the client address)."""
    raw = (credentials or {}).get("username") or getattr(request, "POST", {}).get("email", "")
    return str(raw).strip().lower()


# --- the committee over time (D8): every read goes through access.py ------------------------


def removals_open_for(*, user: object) -> QuerySet[Removal]:
    """Open removal discussions `user` may see (none about themselves)."""
    return access.removals_visible_to(user).filter(status=RemovalStatus.OPEN).select_related("member")


def removals_decided_for(*, user: object) -> QuerySet[Removal]:
    return access.removals_visible_to(user).exclude(status=RemovalStatus.OPEN).select_related("member")


def removal_for(*, user: object, pk: int) -> Removal | None:
    return access.removals_visible_to(user).select_related("member", "opened_by").filter(pk=pk).first()


def removal_posts(*, removal: Removal) -> QuerySet[RemovalPost]:
    return removal.posts.select_related("author")


def removal_vote_of(*, removal: Removal, member: object) -> RemovalVote | None:
    return removal.votes.filter(member_id=getattr(member, "pk", None)).first()


def removal_tally(*, removal: Removal) -> dict[str, int]:
    """Votes of current voters, and the number of all active committee members.

    The member concerned is counted in `members` (they are still a committee member while the vote
    runs; the plan asks for "a simple majority of all Code of Conduct committee members") but cannot
    vote. So with 4 members, the 3 others must all vote yes.
    """
    voter_ids = set(access.removal_voters(removal).values_list("pk", flat=True))
    ballots = [(v.member_id, v.remove) for v in removal.votes.all()]
    return _ballot_count(voter_ids, ballots, members=len(voter_ids) + _committee_active(removal.member))


def _committee_active(member: Member) -> bool:
    return member.is_active and member.is_committee


def removal_candidates(*, user: object) -> QuerySet[Member]:
    """Whom `user` may open a removal discussion about: other active committee members."""
    if not access.is_committee_member(user):
        return Member.objects.none()
    return committee_members().exclude(pk=user.pk)


def roles_assignable(*, member: Member) -> list[str]:
    """The roles `member`'s account may be given, whoever asks (D1, D8). A committee member moves
    between member and chair only: leaving the committee is their own resignation or the committee's
    removal vote, never a role change. A community manager or event responder may take any of the
    four. The site operator's account, and a disabled one, none."""
    if not member.is_active or member.role == Role.OPERATOR or member.is_staff or member.is_superuser:
        return []
    allowed = COMMITTEE_ROLES if member.is_committee else ASSIGNABLE_ROLES
    return [role for role in allowed if role != member.role]


@dataclass(frozen=True)
class RoleRow:
    member: Member
    roles: list[tuple[str, str]]  # (value, label) the chair may choose; empty: not theirs to change


def roster_roles(*, user: object) -> tuple[list[RoleRow], list[RoleRow]]:
    """For the chair's roster: the committee, then the other accounts (community managers, event
    responders), each with the roles the chair may give it."""
    if not access.may_manage_offboarding(user):
        return [], []
    may_change = access.may_change_roles(user)
    changeable = set(access.role_accounts_for(user).values_list("pk", flat=True)) if may_change else set()

    def row(member: Member) -> RoleRow:
        roles = roles_assignable(member=member) if member.pk in changeable else []
        return RoleRow(member, [(role, Role(role).label) for role in roles])

    others = Member.objects.filter(is_active=True).exclude(role__in=[*COMMITTEE_ROLES, Role.OPERATOR])
    return [row(m) for m in committee_members()], [row(m) for m in others]


def role_account_for(*, user: object, pk: int) -> Member | None:
    """An account whose role the chair may change, or None."""
    return access.role_accounts_for(user).filter(pk=pk).first()


def offboardings_for(*, user: object) -> QuerySet[Offboarding]:
    return access.offboardings_visible_to(user).select_related("member")


def offboarding_for(*, user: object, pk: int) -> Offboarding | None:
    return offboardings_for(user=user).filter(pk=pk).first()


@dataclass(frozen=True)
class ChecklistRow:
    item: str
    label: str
    ticked_at: str | None
    pending: OffboardingStep | None = None  # without a chair: the proposed (un)tick awaiting a second member


def offboarding_checklist(*, offboarding: Offboarding) -> list[ChecklistRow]:
    pending = {(step.kind, step.item): step for step in offboarding_steps_open(offboarding=offboarding)}
    rows = []
    for item, label in CHECKLIST:
        ticked_at = offboarding.ticked.get(item)
        step = pending.get(("untick" if ticked_at else "tick", item))
        rows.append(ChecklistRow(item, str(label), ticked_at, step))
    return rows


def offboarding_notice_step(*, offboarding: Offboarding) -> OffboardingStep | None:
    """Without a chair: the request to send the notice, awaiting a second member."""
    return next((s for s in offboarding_steps_open(offboarding=offboarding) if s.kind == "notice"), None)


def offboarding_notice_blockers(*, offboarding: Offboarding) -> list[str]:
    """Why the notice cannot go yet (empty when it can)."""
    member = Member.objects.get(pk=offboarding.member_id)
    blockers = []
    if member.is_active:
        blockers.append(_("Their account is still active."))
    missing = [str(label) for item, label in CHECKLIST if not offboarding.ticked.get(item)]
    if missing:
        blockers.append(_("Not ticked yet: %(items)s.") % {"items": "; ".join(missing)})
    if offboarding.notice_sent_at is not None:
        blockers.append(_("The notice has already been sent."))
    return blockers


def offboarding_steps_open(*, offboarding: Offboarding) -> list[OffboardingStep]:
    """Steps one member proposed and no second member has confirmed yet (while there is no chair)."""
    if offboarding.notice_sent_at is not None:
        return []
    return list(offboarding.steps.filter(confirmed_at__isnull=True).select_related("proposed_by"))


def offboarding_steps_done(*, offboarding: Offboarding) -> list[OffboardingStep]:
    """Steps two members took together: who proposed and who confirmed each."""
    return list(
        offboarding.steps.filter(confirmed_at__isnull=False).select_related("proposed_by", "confirmed_by")
    )


def committee_has_chair() -> bool:
    return access.chairs().exists()


# --- chair elections (D8) --------------------------------------------------------------------


def chair_elections_open_for(*, user: object) -> QuerySet[ChairElection]:
    return (
        access.chair_elections_visible_to(user).filter(status=ElectionStatus.OPEN).select_related("candidate")
    )


def chair_elections_decided_for(*, user: object) -> QuerySet[ChairElection]:
    return (
        access.chair_elections_visible_to(user)
        .exclude(status=ElectionStatus.OPEN)
        .select_related("candidate")
    )


def chair_election_for(*, user: object, pk: int) -> ChairElection | None:
    return (
        access.chair_elections_visible_to(user).select_related("candidate", "opened_by").filter(pk=pk).first()
    )


def chair_election_candidates(*, user: object) -> QuerySet[Member]:
    """Whom `user` may propose as chair: active committee members who are not chairs yet."""
    if not access.is_committee_member(user):
        return Member.objects.none()
    return committee_members().exclude(role=Role.CHAIR)


def chair_election_vote_of(*, election: ChairElection, member: object) -> ChairElectionVote | None:
    return election.votes.filter(member_id=getattr(member, "pk", None)).first()


def chair_election_tally(*, election: ChairElection) -> dict[str, int]:
    """Votes of the current voters, and the number of all active committee members (the electorate,
    as for a removal: "a simple majority of all Code of Conduct committee members")."""
    voter_ids = set(access.chair_election_voters().values_list("pk", flat=True))
    ballots = [(v.member_id, v.elect) for v in election.votes.all()]
    return _ballot_count(voter_ids, ballots, members=len(voter_ids))


def _ballot_count(voter_ids: set[int], ballots: list[tuple[int, bool]], *, members: int) -> dict[str, int]:
    """A committee-wide vote's tally: the yes and no of current voters only, who has not voted, and
    the electorate (`members`, all active committee members: the plan's majority)."""
    counted = [yes for member_id, yes in ballots if member_id in voter_ids]
    yes = sum(counted)
    return {
        "yes": yes,
        "no": len(counted) - yes,
        "not_voted": len(voter_ids) - len(counted),
        "members": members,
    }
