"""The members' own deadlines and mail (D5, D8): the six-monthly check-in, the calendar feed, and
how each member hears from cocdesk (the time of their daily digest, "at once" for posts and votes)."""

from __future__ import annotations

import secrets
from datetime import time
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils.translation import gettext as _

from cocdesk import access, clock
from cocdesk.audit.services import audit_record
from cocdesk.deadlines import selectors
from cocdesk.deadlines.models import CalendarToken, CheckIn, CheckInAnswer, NoticePreference
from cocdesk.errors import Refused
from cocdesk.members.models import OffboardingReason
from cocdesk.members.services import offboarding_start

if TYPE_CHECKING:
    from cocdesk.members.models import Member


@transaction.atomic
def check_in_answer(*, member: Member, answer: str) -> CheckIn:
    """A member answers "Would you like to continue?"; the next question comes six months later.

    Side effects: the open CheckIn answered (or a new answered one), audit `member.check_in`;
    a member stepping down starts off-boarding (`members.services.offboarding_start`: their access
    ends at once and the chair(s) get an email, with no case content, to finish it).
    """
    if answer not in CheckInAnswer.values:
        raise Refused(_("Please choose an answer."))
    check_in = selectors.open_check_in(member=member)
    if check_in is None:
        check_in, _created = CheckIn.objects.get_or_create(
            member=member, due_at=selectors.check_in_due_for(member=member)
        )
    check_in.answer, check_in.answered_at = answer, clock.now()
    check_in.save(update_fields=["answer", "answered_at"])
    audit_record(actor=member, action=f"member.check_in.{answer}", target=check_in)
    if answer == CheckInAnswer.STEP_DOWN:
        # Off-boarding (D8) ends their access now and tells the chair(s).
        offboarding_start(member=member, reason=OffboardingReason.RESIGNATION, actor=member)
    return check_in


@transaction.atomic
def calendar_token_new(*, member: Member) -> str:
    """A new feed address for `member`; any earlier one stops working. Returns the token, which
    is shown once and stored only as a keyed hash. Side effects: CalendarToken, audit."""
    token = secrets.token_urlsafe(32)
    CalendarToken.objects.update_or_create(
        member=member,
        defaults={
            "token_hash": selectors.calendar_token_hash(token),
            "created_at": clock.now(),
            "last_used_at": None,
        },
    )
    audit_record(actor=member, action="calendar.token_created", object_type="member", object_id=member.pk)
    return token


@transaction.atomic
def calendar_token_revoke(*, member: Member) -> bool:
    """Stop the member's feed address working. Side effects: the token deleted, audit."""
    deleted, _details = CalendarToken.objects.filter(member=member).delete()
    if deleted:
        audit_record(actor=member, action="calendar.token_revoked", object_type="member", object_id=member.pk)
    return bool(deleted)


@transaction.atomic
def calendar_feed_used(*, member: Member) -> None:
    """Note when a feed was last fetched (shown to the member, so they can spot a leaked link).

    Side effects: the token's last use; audit `calendar.fetched` as the member (the feed lists the
    references of their cases; whoever holds the link reads it as them)."""
    CalendarToken.objects.filter(member=member).update(last_used_at=clock.now())
    audit_record(actor=member, action="calendar.fetched", target=member)


@transaction.atomic
def notice_preference_update(
    *, member: Member, time_zone: str, digest_at: time, posts_at_once: bool, votes_at_once: bool
) -> NoticePreference:
    """A committee member chooses when their daily digest comes (a time of day in their time zone)
    and whether new discussion posts and proposals waiting for their vote are also emailed to them
    at once. The digest follows from the next `tick`; a day whose digest was sent gets no second.

    Side effects: their NoticePreference row (created the first time); audit
    `member.notice_preferences_updated`.
    """
    if not access.active_committee().filter(pk=member.pk).exists():
        raise Refused(_("Only committee members get the daily email."))
    if time_zone not in selectors.time_zone_names():
        raise Refused(_("Please choose a time zone from the list."))
    preference, _created = NoticePreference.objects.select_for_update().get_or_create(member=member)
    preference.time_zone, preference.digest_at = time_zone, digest_at.replace(second=0, microsecond=0)
    preference.posts_at_once, preference.votes_at_once = posts_at_once, votes_at_once
    preference.updated_at = clock.now()
    preference.full_clean()
    preference.save()
    audit_record(actor=member, action="member.notice_preferences_updated", target=member)
    return preference
