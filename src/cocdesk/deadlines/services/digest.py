"""The daily digest (D5): one email per member per day, at the time of day they chose in their
time zone (09:00 in the site's unless they chose), listing what waits for them — references and
what is due, never details. It replaces every reminder about a case: a new report and immediate
danger are still emailed at once (`notices.case_new`, `notices.case_danger`), and so are new posts
and proposals to a member who asked for them at once (`notices.discussion_posted`,
`notices.proposal_opened`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from django.db import transaction

from cocdesk import notices
from cocdesk.deadlines import rules, selectors
from cocdesk.deadlines.models import Rule
from cocdesk.deadlines.services.claims import action_claim

if TYPE_CHECKING:
    from cocdesk.members.models import Member


@dataclass(frozen=True)
class Digest:
    day: date  # the member's own calendar day it is for
    items: int  # how many things it listed (0: nothing waited, nothing was sent)


def digest_key(*, member: Member, day: date) -> str:
    return f"digest:{member.pk}:{day:%Y-%m-%d}"


def digest_send(*, member: Member, now: datetime) -> Digest | None:
    """Queue `member`'s digest for their current day if its time has come and it was not taken yet
    (by this or a concurrent `tick`). Nothing is sent when nothing waits; the day is taken all the
    same, so the digest keeps to the member's time and never comes twice in a day. Returns None
    when it is not due or was already taken.

    Side effects: a DeadlineAction `digest:<member>:<local day>`; one queued email (outbox dedupe
    key `digest:<local day>:<member>`) listing references and what waits, each with a link to the
    exact place (login needed). Cases come through `access` (`selectors.waiting_for`): a case the
    member is conflicted on is never listed or counted.
    """
    preference = selectors.notice_preference_of(member=member)
    zone = selectors.time_zone_of(preference)
    day = rules.digest_day(now=now, zone=zone, at=preference.digest_at)
    key = digest_key(member=member, day=day) if day is not None else ""
    # Looking first spares the database a failed insert per member at every run of the day.
    if day is None or selectors.action_taken(key=key):
        return None
    with transaction.atomic():
        if not action_claim(key=key, rule=Rule.DIGEST, member=member):
            return None
        items = [item for item in selectors.waiting_for(member=member, now=now) if item.in_digest]
        if items:
            notices.digest(member=member, items=items, day=day, zone=zone)
    return Digest(day=day, items=len(items))
