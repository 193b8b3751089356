"""Reads for accounts."""

from __future__ import annotations

import base64
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from cocdesk import access, clock
from cocdesk.crypto import blind_index, secret_hash
from cocdesk.members.models import (
    CHECKLIST,
    ChairElection,
    ChairElectionVote,
    ElectionStatus,
    EnrolmentToken,
    Member,
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


def accounts_by_email_index() -> dict[str, Member]:
    """Active accounts by the blind index of their email address, to recognise them as parties."""
    return {blind_index(m.email, kind="email"): m for m in Member.objects.filter(is_active=True)}


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
    votes = [v for v in removal.votes.all() if v.member_id in voter_ids]
    yes = sum(1 for v in votes if v.remove)
    return {
        "yes": yes,
        "no": len(votes) - yes,
        "not_voted": len(voter_ids) - len(votes),
        "members": len(voter_ids) + (1 if _committee_active(removal.member) else 0),
    }


def _committee_active(member: Member) -> bool:
    return member.is_active and member.is_committee


def removal_candidates(*, user: object) -> QuerySet[Member]:
    """Whom `user` may open a removal discussion about: other active committee members."""
    if not access.is_committee_member(user):
        return Member.objects.none()
    return committee_members().exclude(pk=user.pk)


def roster(*, user: object) -> QuerySet[Member]:
    """Active committee members, for the chair (or every member while there is no chair)."""
    if not access.may_manage_offboarding(user):
        return Member.objects.none()
    return committee_members()


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
    votes = [v for v in election.votes.all() if v.member_id in voter_ids]
    yes = sum(1 for v in votes if v.elect)
    return {
        "yes": yes,
        "no": len(votes) - yes,
        "not_voted": len(voter_ids) - len(votes),
        "members": len(voter_ids),
    }
