"""Writes for accounts: adding members, enrolment, login bookkeeping, disabling, roles, removal
votes, chair elections and off-boarding (D1, D8)."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cocdesk import access, clock, identity, notices, sessions
from cocdesk.audit.services import audit_record
from cocdesk.cases.services import conflict_set, conflicts_recheck_member
from cocdesk.crypto import identity_row_key, secret_hash
from cocdesk.errors import Refused
from cocdesk.members import selectors
from cocdesk.members.models import (
    CHECKLIST,
    COMMITTEE_ROLES,
    ChairElection,
    ElectionStatus,
    EnrolmentToken,
    IdentityKind,
    Member,
    MemberIdentity,
    Offboarding,
    OffboardingReason,
    OffboardingStep,
    Removal,
    RemovalPost,
    RemovalStatus,
    Role,
    StepKind,
    TOTPDevice,
)
from cocdesk.votes import majority_outcome

ENROLMENT_LIFETIME = timedelta(days=7)
NOT_OPERATOR = gettext_lazy(
    "Site operators are made with `cocdesk createsuperuser`, never by giving an account that role."
)


def enrolment_url(token: str) -> str:
    return settings.BASE_URL + reverse("enrol", kwargs={"token": token})


@transaction.atomic
def member_add(
    *, email: str, name: str, role: str = Role.MEMBER, actor: object | str | None = "system"
) -> tuple[Member, str]:
    """Create an account without a password and return it with a one-time enrolment link.

    Side effects: a Member row, an EnrolmentToken row, an audit entry `member.added`; a committee
    member or community manager is matched against every existing report by their name and
    address (`cases.services.conflicts_recheck_member`), so a report about them stays hidden.
    Refused for the site operator's role: operators are made with `cocdesk createsuperuser` (D1).
    """
    if role == Role.OPERATOR:
        raise Refused(NOT_OPERATOR)
    member = Member(email=email.strip().lower(), name=name.strip(), role=role)
    member.set_unusable_password()
    member.full_clean()
    member.save()
    audit_record(actor=actor, action="member.added", target=member)
    conflicts_recheck_member(member=member, actor=actor)
    return member, enrolment_link_issue(member=member, actor=actor)


# --- identities (D3) -------------------------------------------------------------------------------


def _identity_value_clean(kind: str, value: str) -> str:
    value = " ".join(value.split())
    if kind not in IdentityKind.values:
        raise Refused(_("Please choose whether this is a name, an email address or a handle."))
    if not identity.canonical(kind, value):
        raise Refused(_("Please write the name, address or handle itself."))
    if kind == IdentityKind.EMAIL:
        try:
            validate_email(value)
        except ValidationError as exc:
            raise Refused(_("That does not look like an email address.")) from exc
    return value


@transaction.atomic
def identity_add(*, member: Member, kind: str, value: str, by: Member) -> MemberIdentity:
    """Add a name, email address or handle `member` is known by (their own, or the chair for
    anyone). Reports already made are matched against it at once (D3): a report about them that
    they could read, or were about to be asked about, is hidden from them from the next request.

    Side effects: a MemberIdentity (value encrypted, blind index beside it); audit
    `member.identity_added` (no value); `cases.services.conflicts_recheck_member`.
    """
    if not access.may_edit_identities(by, member):
        raise Refused(_("You can change only your own list."))
    value = _identity_value_clean(kind, value)
    index = identity_row_key(value, kind=kind)
    if kind == IdentityKind.EMAIL and index == identity_row_key(member.email, kind="email"):
        raise Refused(_("That is the account's own address: it always counts."))
    if MemberIdentity.objects.filter(member=member, kind=kind, index=index).exists():
        raise Refused(_("That is already on the list."))
    row = MemberIdentity.objects.create(member=member, kind=kind, value=value, index=index, added_by=by)
    audit_record(actor=by, action="member.identity_added", target=member)
    conflicts_recheck_member(member=member, actor=by)
    return row


@transaction.atomic
def identity_remove(*, row: MemberIdentity, by: Member) -> None:
    """Take an identity off the list. Conflicts it already found stay (a report once found to be
    about a member is never shown to them). Side effects: the row deleted; audit
    `member.identity_removed`."""
    if not access.may_edit_identities(by, row.member):
        raise Refused(_("You can change only your own list."))
    member = row.member
    row.delete()
    audit_record(actor=by, action="member.identity_removed", target=member)


@transaction.atomic
def enrolment_link_issue(*, member: Member, actor: object | str | None = "system") -> str:
    """A fresh enrolment link (earlier unused links stop working). Used for new members and lost phones."""
    EnrolmentToken.objects.filter(member=member, used_at__isnull=True).update(used_at=clock.now())
    token = secrets.token_urlsafe(32)
    EnrolmentToken.objects.create(
        member=member, token_hash=secret_hash(token), expires_at=clock.now() + ENROLMENT_LIFETIME
    )
    audit_record(actor=actor, action="member.enrolment_link_issued", target=member)
    return enrolment_url(token)


def enrolment_device(*, member: Member) -> TOTPDevice:
    """The unconfirmed TOTP device shown as a QR code during enrolment (created once per enrolment)."""
    device = TOTPDevice.objects.filter(user=member, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=member, name="enrolment", confirmed=False)


@transaction.atomic
def enrolment_complete(*, token: EnrolmentToken, password: str, code: str) -> Member:
    """Set the password and confirm the TOTP device; the link is used up.

    Raises ValidationError (keyed by field) when the password is weak or the code does not match.
    """
    member = token.member
    try:
        validate_password(password, member)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from exc
    device = enrolment_device(member=member)
    if not device.verify_token(code.replace(" ", "")):
        raise ValidationError(
            {"code": _("That code did not match. Check the time on your phone and try again.")}
        )
    TOTPDevice.objects.filter(user=member).exclude(pk=device.pk).delete()
    device.confirmed, device.name = True, "authenticator app"
    device.save()
    member.set_password(password)
    member.save()
    token.used_at = clock.now()
    token.save(update_fields=["used_at"])
    audit_record(actor=member, action="member.enrolled", target=member)
    return member


@transaction.atomic
def member_disable(*, member: Member, actor: object | str | None) -> None:
    """Disable an account and end every one of its sessions at once.

    Side effects: is_active off; session_epoch bumped (every session's auth hash stops matching);
    the member's stored sessions deleted from the shared cache; TOTP devices removed; audit entry
    `member.disabled`.
    """
    member.is_active = False
    member.session_epoch += 1
    member.save(update_fields=["is_active", "session_epoch"])
    sessions.member_sessions_end(member_id=member.pk)
    TOTPDevice.objects.filter(user=member).delete()
    audit_record(actor=actor, action="member.disabled", target=member)


@transaction.atomic
def member_role_set(*, member: Member, role: str, actor: object | str) -> Member:
    """Give an account another role (D1): the chair, on the roster page, for anyone but themself and
    the site operator; or `cocdesk set-role` (actor "command-line:<user>").

    Refused: the site operator's role, to or from (operators are made with `createsuperuser`; an
    account with admin rights holds no other role, which a database constraint holds too); a disabled
    account; a committee member given a role outside the committee (leaving the committee is their
    resignation or the committee's removal vote, D8); the only chair made a member; a member actor
    who is not the chair, or who is the account's owner. The same role again changes nothing.
    Side effects: the role saved; audit `member.role_changed.<old>.<new>`; when the committee grew,
    open votes are counted again (their electorate changed); an account that may now see cases is
    matched against every report (`cases.services.conflicts_recheck_member`).
    """
    member = Member.objects.select_for_update().get(pk=member.pk)
    if not isinstance(actor, str) and not access.may_change_role_of(actor, member):
        raise Refused(_("Only the chair can change another person's role."))
    if role == member.role:
        return member
    if role == Role.OPERATOR:
        raise Refused(NOT_OPERATOR)
    if member.role == Role.OPERATOR or member.is_staff or member.is_superuser:
        raise Refused(
            _(
                "This is the site operator's account: it holds no other role. Someone who also serves "
                "on the committee needs an account of their own for that."
            )
        )
    if not member.is_active:
        raise Refused(_("This account is disabled, so its role cannot change."))
    if role not in selectors.roles_assignable(member=member):
        if member.is_committee:
            raise Refused(
                _(
                    "A role change never takes someone off the committee. They can step down on their "
                    "own Resign page, or the committee can vote on removing them."
                )
            )
        raise Refused(_("That is not a role an account can be given."))
    if member.role == Role.CHAIR and not access.chairs().exclude(pk=member.pk).exists():
        raise Refused(_("They are the only chair. Make another member chair first."))
    old, joined = member.role, not member.is_committee
    member.role = role
    member.full_clean(validate_unique=False)
    member.save(update_fields=["role"])
    audit_record(actor=actor, action=f"member.role_changed.{old}.{role}", target=member)
    if joined and member.is_committee:
        _votes_reevaluate(actor=actor)
    if role in (*COMMITTEE_ROLES, Role.COMMUNITY_MANAGER):  # may see cases now: never one about them
        conflicts_recheck_member(member=member, actor=actor)
    return member


@transaction.atomic
def member_rename(*, member: Member, name: str, actor: object | str) -> Member:
    """The name shown for an account (the operator's admin). Side effects: the name saved (nothing
    else of the account); audit `member.renamed` (ids only, never the name)."""
    name = name.strip()
    if not name:
        raise Refused(_("Please give a name."))
    if name != Member.objects.get(pk=member.pk).name:
        Member.objects.filter(pk=member.pk).update(name=name)
        audit_record(actor=actor, action="member.renamed", target=member)
    member.name = name
    return member


@transaction.atomic
def totp_verify(*, member: Member, code: str) -> TOTPDevice | None:
    """The member's confirmed device that accepts `code` now, or None. A code works once (the
    device remembers the last time step used) and failures are throttled per device.

    The devices are locked while they are checked, so the same code sent twice at once is still
    accepted only once. Side effects: the device's counters (last step, failures).
    """
    code = code.replace(" ", "").strip()
    for device in TOTPDevice.objects.select_for_update().filter(user=member, confirmed=True).order_by("pk"):
        if device.verify_is_allowed()[0] and device.verify_token(code):
            return device
    return None


def member_login_recorded(*, member: Member) -> None:
    audit_record(actor=member, action="member.login", target=member)


def member_login_failed(*, member: Member | None) -> None:
    # An unknown address is not written down: it may be a member's mistyped personal address.
    audit_record(
        actor="public",
        action="member.login_failed",
        object_type="member",
        object_id=member.pk if member else "",
    )


# --- the committee over time: removal and off-boarding (D8) ---------------------------------


@transaction.atomic
def removal_open(*, member: Member, by: Member, text: str = "") -> Removal:
    """Open a private discussion about removing `member` from the committee.

    Side effects: a Removal row and, if `text` is given, its first (encrypted) post; audit
    `removal.opened`; an email to every other member who may vote (never to the member concerned,
    and never naming them) with a link that needs login.
    """
    if not access.may_open_removal(by, member):
        raise Refused(_("You can open a discussion only about another committee member."))
    if Removal.objects.filter(member=member, status=RemovalStatus.OPEN).exists():
        raise Refused(_("There is already an open discussion about this member."))
    removal = Removal(member=member, opened_by=by)
    removal.full_clean()
    removal.save()
    audit_record(actor=by, action="removal.opened", target=removal)
    if text.strip():
        removal_post_add(removal=removal, author=by, text=text)
    notices.removal_opened(removal=removal, by=by)
    return removal


@transaction.atomic
def removal_post_add(*, removal: Removal, author: Member, text: str) -> RemovalPost:
    """Add to the discussion. Side effects: an encrypted RemovalPost; audit `removal.posted`."""
    if (
        removal.status != RemovalStatus.OPEN
        or not access.removal_voters(removal).filter(pk=author.pk).exists()
    ):
        raise Refused(_("This discussion is closed."))
    if not text.strip():
        raise Refused(_("Please write something first."))
    post = RemovalPost.objects.create(removal=removal, author=author, body=text.strip())
    audit_record(actor=author, action="removal.posted", target=removal)
    return post


@transaction.atomic
def removal_vote(*, removal: Removal, member: Member, remove: bool) -> Removal:
    """Cast a final yes/no vote, then see whether the vote is decided.

    Side effects: a RemovalVote; audit `removal.voted`; possibly the result (see `removal_evaluate`).
    """
    removal = Removal.objects.select_for_update().get(pk=removal.pk)
    allowed = access.may_vote_on_removal(member, removal)
    _final_vote(poll=removal, member=member, allowed=allowed, action="removal.voted", remove=remove)
    return removal_evaluate(removal=removal, actor=member)


def _final_vote(
    *, poll: Removal | ChairElection, member: Member, allowed: bool, action: str, **choice
) -> None:
    """One vote of `member` in a committee-wide vote, final once cast: refused when the vote is closed to
    them or they already voted. Side effects: the vote row (`choice`: its yes/no field); audit `action`."""
    if not allowed:
        raise Refused(_("This vote is closed."))
    if poll.votes.filter(member=member).exists():
        raise Refused(_("You have already voted. A vote cannot be changed."))
    poll.votes.create(member=member, **choice)
    audit_record(actor=member, action=action, target=poll)


@transaction.atomic
def removal_evaluate(*, removal: Removal, actor: object | str | None = "system") -> Removal:
    """Decide the vote once the result cannot change: passed when yes votes are more than half of
    all active committee members; failed when even every outstanding vote could not make it pass.

    Side effects when decided: status, decided_at and tally saved; audit `removal.passed` or
    `removal.failed`; a passed vote starts off-boarding (`offboarding_start`).
    """
    removal = Removal.objects.select_for_update().select_related("member").get(pk=removal.pk)
    if removal.status != RemovalStatus.OPEN:
        return removal
    counts = selectors.removal_tally(removal=removal)
    passed = majority_outcome(yes=counts["yes"], not_voted=counts["not_voted"], electorate=counts["members"])
    if passed is None:
        return removal
    status = RemovalStatus.PASSED if passed else RemovalStatus.FAILED
    removal.status, removal.tally, removal.decided_at = status, counts, clock.now()
    removal.save(update_fields=["status", "tally", "decided_at"])
    audit_record(actor=actor, action=f"removal.{status}", target=removal)
    if status == RemovalStatus.PASSED:
        offboarding_start(
            member=removal.member, reason=OffboardingReason.REMOVAL, actor=actor, removal=removal
        )
    return removal


def _votes_reevaluate(*, actor: object | str | None) -> None:
    # The number of members changed: an open vote may now be decided either way.
    for removal in Removal.objects.filter(status=RemovalStatus.OPEN):
        removal_evaluate(removal=removal, actor=actor)
    for election in ChairElection.objects.filter(status=ElectionStatus.OPEN):
        chair_election_evaluate(election=election, actor=actor)


# --- chair elections (D8) --------------------------------------------------------------------


@transaction.atomic
def chair_election_open(*, candidate: Member, by: Member) -> ChairElection:
    """Any committee member opens a vote on making `candidate` a chair (the only way a chair is
    named once the committee runs; the first chair is added with `cocdesk add-member --chair`).

    Side effects: a ChairElection; audit `chair_election.opened`; an email to every other member
    (without the candidate's name) with a link that needs login.
    """
    if not access.may_open_chair_election(by, candidate):
        raise Refused(_("A chair can be elected only from the committee's members who are not a chair yet."))
    if ChairElection.objects.filter(candidate=candidate, status=ElectionStatus.OPEN).exists():
        raise Refused(_("There is already an open vote about this member becoming a chair."))
    election = ChairElection.objects.create(candidate=candidate, opened_by=by)
    audit_record(actor=by, action="chair_election.opened", target=election)
    notices.chair_election_opened(election=election, by=by)
    return election


@transaction.atomic
def chair_election_vote(*, election: ChairElection, member: Member, elect: bool) -> ChairElection:
    """Cast a final yes/no vote, then see whether the election is decided.

    Side effects: a ChairElectionVote; audit `chair_election.voted`; possibly the result
    (`chair_election_evaluate`).
    """
    election = ChairElection.objects.select_for_update().get(pk=election.pk)
    allowed = access.may_vote_in_chair_election(member, election)
    _final_vote(poll=election, member=member, allowed=allowed, action="chair_election.voted", elect=elect)
    return chair_election_evaluate(election=election, actor=member)


@transaction.atomic
def chair_election_evaluate(
    *, election: ChairElection, actor: object | str | None = "system"
) -> ChairElection:
    """Decide the election once the result cannot change: passed when yes votes are more than half
    of all active committee members (`votes.majority_outcome`, as a removal); failed when even
    every outstanding vote could not make it pass.

    Side effects when decided: status, decided_at and tally saved; audit `chair_election.passed`
    or `.failed`; a passed election makes the candidate a chair (`member_role_set`). A chair who
    is still on the committee stays a chair: an election adds a chair, it never demotes one.
    """
    election = ChairElection.objects.select_for_update().select_related("candidate").get(pk=election.pk)
    if election.status != ElectionStatus.OPEN:
        return election
    candidate = election.candidate
    if not (candidate.is_active and candidate.is_committee):
        election.status, election.decided_at = ElectionStatus.ENDED, clock.now()
        election.save(update_fields=["status", "decided_at"])
        audit_record(actor=actor, action="chair_election.ended", target=election)
        return election
    counts = selectors.chair_election_tally(election=election)
    passed = majority_outcome(yes=counts["yes"], not_voted=counts["not_voted"], electorate=counts["members"])
    if passed is None:
        return election
    status = ElectionStatus.PASSED if passed else ElectionStatus.FAILED
    election.status, election.tally, election.decided_at = status, counts, clock.now()
    election.save(update_fields=["status", "tally", "decided_at"])
    audit_record(actor=actor, action=f"chair_election.{status}", target=election)
    if passed:  # the committee's vote decides, whoever cast the last vote
        member_role_set(member=candidate, role=Role.CHAIR, actor=f"chair-election:{election.pk}")
    return election


@transaction.atomic
def offboarding_start(
    *,
    member: Member,
    reason: str,
    actor: object | str | None,
    removal: Removal | None = None,
) -> Offboarding:
    """A member leaves the committee (resignation or a passed removal). Access ends first.

    Side effects, in this order and in one transaction: the account is disabled and every session
    ended (`member_disable`); every case they took part in is left as if they had declared a
    conflict (`cases.services.conflict_set`: ownerships end, so those cases show as needing owners,
    and every open proposal is counted again without them); an Offboarding row with an empty
    checklist; open removal discussions about them end, and so does a chair election they are the
    candidate of; other open votes are counted again; audit `offboarding.started`; the chair(s)
    get an email to work through the checklist (every member, when no chair is left).
    Nothing is sent to the member: their notice comes last (`offboarding_notice_send`).
    Starting twice returns the existing off-boarding.
    """
    member = Member.objects.select_for_update().get(pk=member.pk)
    existing = Offboarding.objects.filter(member=member).first()
    if existing is not None:
        return existing
    if not member.is_committee:
        raise Refused(_("Only committee members are off-boarded."))
    # In one order (by id), as every off-boarding locks these cases one after the other.
    cases = list(access.cases_taking_part(member).order_by("pk")) if member.is_active else []
    member_disable(member=member, actor=actor)
    for case in cases:
        conflict_set(case=case, member=member, actor=actor)
    offboarding = Offboarding.objects.create(
        member=member, reason=reason, removal=removal, access_revoked_at=clock.now()
    )
    audit_record(actor=actor, action=f"offboarding.started.{reason}", target=offboarding)
    Removal.objects.filter(member=member, status=RemovalStatus.OPEN).update(
        status=RemovalStatus.ENDED, decided_at=clock.now()
    )
    _votes_reevaluate(actor=actor)
    notices.offboarding_started(offboarding=offboarding)
    return offboarding


@transaction.atomic
def offboarding_tick(*, offboarding: Offboarding, item: str, done: bool, by: Member) -> Offboarding:
    """The chair ticks (or unticks) one outside resource. Side effects: the checklist saved;
    audit `offboarding.ticked` / `offboarding.unticked`. (Without a chair: `offboarding_step_propose`.)"""
    offboarding = Offboarding.objects.select_for_update().get(pk=offboarding.pk)
    if not access.may_work_on_offboarding(by, offboarding):
        raise Refused(_("Only the chair can work on an off-boarding."))
    return _tick_apply(offboarding=offboarding, item=item, done=done, by=by)


def _tick_apply(*, offboarding: Offboarding, item: str, done: bool, by: Member) -> Offboarding:
    if item not in dict(CHECKLIST):
        raise Refused(_("That is not on the checklist."))
    if offboarding.notice_sent_at is not None:
        raise Refused(_("The notice has been sent; this off-boarding is complete."))
    if done:
        offboarding.ticked[item] = clock.now().isoformat()
    else:
        offboarding.ticked.pop(item, None)
    offboarding.save(update_fields=["ticked"])
    audit_record(
        actor=by, action=f"offboarding.{'ticked' if done else 'unticked'}.{item}", target=offboarding
    )
    return offboarding


@transaction.atomic
def offboarding_notice_send(*, offboarding: Offboarding, by: Member) -> Offboarding:
    """The chair's email to the departing member: "you have been removed" or "your resignation is
    complete". Refused until their account is disabled and every checklist item is ticked; sent once.

    Side effects: one outbox message to their address (no case details); notice_sent_at set;
    audit `offboarding.notice_sent`. (Without a chair: `offboarding_step_propose`.)
    """
    offboarding = Offboarding.objects.select_for_update().select_related("member").get(pk=offboarding.pk)
    if not access.may_work_on_offboarding(by, offboarding):
        raise Refused(_("Only the chair can send this notice."))
    return _notice_apply(offboarding=offboarding, by=by)


def _notice_apply(*, offboarding: Offboarding, by: Member, also: Member | None = None) -> Offboarding:
    blockers = selectors.offboarding_notice_blockers(offboarding=offboarding)
    if blockers:
        raise Refused(blockers)
    notices.offboarding_notice(offboarding=offboarding, by=by, also=also)
    offboarding.notice_sent_at, offboarding.notice_sent_by = clock.now(), by
    offboarding.save(update_fields=["notice_sent_at", "notice_sent_by"])
    audit_record(actor=by, action="offboarding.notice_sent", target=offboarding)
    return offboarding


# --- without a chair, two members act for the chair (D8) -------------------------------------


def _step_kind(*, kind: str, item: str) -> tuple[str, str]:
    if kind == StepKind.NOTICE:
        return kind, ""
    if kind not in (StepKind.TICK, StepKind.UNTICK) or item not in dict(CHECKLIST):
        raise Refused(_("That is not on the checklist."))
    return kind, item


@transaction.atomic
def offboarding_step_propose(
    *, offboarding: Offboarding, kind: str, item: str = "", by: Member
) -> OffboardingStep:
    """While the committee has no chair, a member proposes one of the chair's steps (ticking or
    unticking an item, or sending the notice). Nothing happens until a different member confirms
    it. When another member has already proposed the same step, this confirms theirs.

    Side effects: an OffboardingStep (who proposed, when); audit `offboarding.step_proposed.<kind>`;
    an email to the other members who may confirm it. Or, confirming, see `offboarding_step_confirm`.
    """
    offboarding = Offboarding.objects.select_for_update().select_related("member").get(pk=offboarding.pk)
    if not access.may_act_for_chair_on_offboarding(by, offboarding):
        raise Refused(_("Only the chair can work on an off-boarding."))
    kind, item = _step_kind(kind=kind, item=item)
    if offboarding.notice_sent_at is not None:
        raise Refused(_("The notice has been sent; this off-boarding is complete."))
    if kind == StepKind.NOTICE:
        blockers = selectors.offboarding_notice_blockers(offboarding=offboarding)
        if blockers:
            raise Refused(blockers)
    waiting = OffboardingStep.objects.filter(
        offboarding=offboarding, kind=kind, item=item, confirmed_at__isnull=True
    ).first()
    if waiting is not None:
        if waiting.proposed_by_id == by.pk:
            raise Refused(_("You have already asked for this. Another committee member needs to confirm it."))
        return offboarding_step_confirm(step=waiting, by=by)
    step = OffboardingStep.objects.create(offboarding=offboarding, kind=kind, item=item, proposed_by=by)
    audit_record(actor=by, action=f"offboarding.step_proposed.{_step_action(step)}", target=offboarding)
    notices.offboarding_step_proposed(step=step)
    return step


@transaction.atomic
def offboarding_step_confirm(*, step: OffboardingStep, by: Member) -> OffboardingStep:
    """A second member confirms a proposed step, and it happens now: the item is ticked or unticked,
    or the notice is sent (signed by both). Refused to the member who proposed it.

    Side effects: the step's confirmed_by and confirmed_at; audit `offboarding.step_confirmed.<kind>`;
    then the step's own effects and audit, as when a chair takes it (`offboarding.ticked.<item>`,
    `offboarding.notice_sent`…), with the confirming member as actor.
    """
    step = OffboardingStep.objects.select_for_update().get(pk=step.pk)
    offboarding = Offboarding.objects.select_for_update().select_related("member").get(pk=step.offboarding_id)
    if not (
        access.may_act_for_chair_on_offboarding(by, offboarding)
        or access.may_work_on_offboarding(by, offboarding)
    ):
        raise Refused(_("Only the chair can work on an off-boarding."))
    if step.confirmed_at is not None:
        raise Refused(_("This step has already been confirmed."))
    if step.proposed_by_id == by.pk:
        raise Refused(
            _("You proposed this step. Another committee member needs to confirm it: two act for the chair.")
        )
    if step.kind == StepKind.NOTICE:
        _notice_apply(offboarding=offboarding, by=by, also=step.proposed_by)
    else:
        _tick_apply(offboarding=offboarding, item=step.item, done=step.kind == StepKind.TICK, by=by)
    step.confirmed_by, step.confirmed_at = by, clock.now()
    step.save(update_fields=["confirmed_by", "confirmed_at"])
    audit_record(actor=by, action=f"offboarding.step_confirmed.{_step_action(step)}", target=offboarding)
    return step


def _step_action(step: OffboardingStep) -> str:
    return step.kind if step.kind == StepKind.NOTICE else f"{step.kind}.{step.item}"
