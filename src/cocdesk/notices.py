"""Every email cocdesk sends (docs/architecture.md, "Mail"): one function per email, each with a
subject and a body template under `templates/email/<name>.subject.txt` / `.body.txt`.

Services call these inside their transaction; the mail is queued in the outbox, which delivers it
later and re-checks access at send time. Links are built with `reverse()` on `COCDESK_BASE_URL`,
never from a request. Emails to committee members carry a reference and a link that needs login,
never case details (D12). Who is told is decided by `access`.

Dedupe keys follow one convention, `<name>:<scope…>:<recipient>`, so a repeated call (a second
`tick`, a retried request) queues nothing twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, tzinfo

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse

from cocdesk import access
from cocdesk.cases.models import (
    Case,
    ConflictDeclaration,
    DiscussionPost,
    ImmediateResponse,
    Kind,
    LawEnforcementRecord,
    Message,
    Proposal,
)
from cocdesk.cases.selectors import reporter_address
from cocdesk.escrow.models import EscrowMatch
from cocdesk.intake.selectors import reporter_email_ids
from cocdesk.members.models import (
    ChairElection,
    Member,
    Offboarding,
    OffboardingReason,
    OffboardingStep,
    Removal,
)
from cocdesk.outbox.models import OutboxMessage
from cocdesk.outbox.selectors import reporter_mail_ids
from cocdesk.outbox.services import outbox_enqueue
from cocdesk.receipts import reply_address
from cocdesk.transparency.models import TransparencyReport


def url(name: str, **kwargs: object) -> str:
    """An absolute link for an email: the configured base URL, never the request's Host header."""
    return settings.BASE_URL + reverse(name, kwargs=kwargs or None)


def _render(name: str, context: dict) -> tuple[str, str]:
    subject = render_to_string(f"email/{name}.subject.txt", context)
    body = render_to_string(f"email/{name}.body.txt", context)
    return " ".join(subject.split()), body


def _to_members(
    name: str,
    members: Iterable[Member],
    *,
    scope: Iterable[object],
    context: dict,
    case: Case | None = None,
    kind: str | None = None,
    about: Member | None = None,
) -> list[int]:
    """Queue one email per member; returns the ids of the members it was queued for. `about`: the
    member a confidential process is about (never shown the message, even as failed mail)."""
    key = ":".join([kind or name, *(str(part) for part in scope)])
    queued = []
    for member in members:
        subject, body = _render(name, {**context, "member": member, "base_url": settings.BASE_URL})
        outbox_enqueue(
            kind=kind or name,
            case=case,
            member=member,
            about=about,
            subject=subject,
            body=body,
            dedupe_key=f"{key}:{member.pk}",
        )
        queued.append(member.pk)
    return queued


def _to_address(
    name: str,
    address: str,
    *,
    scope: Iterable[object],
    context: dict,
    case: Case | None = None,
    about: Member | None = None,
    private_headers: dict | None = None,
) -> OutboxMessage | None:
    subject, body = _render(name, {**context, "base_url": settings.BASE_URL})
    return outbox_enqueue(
        kind=name,
        case=case,
        address=address,
        about=about,
        subject=subject,
        body=body,
        dedupe_key=":".join([name, *(str(part) for part in scope), "to"]),
        private_headers=private_headers,
    )


def _to_reporter(name: str, address: str, *, case: Case, scope: Iterable[object], context: dict):
    """Mail to a case's reporter: a reply to it reaches the case (docs/architecture.md, "Mail").
    Reply-To carries the case's reply token; In-Reply-To answers the reporter's newest email and
    References name the conversation so far (theirs and ours), so it reads as one thread."""
    theirs = reporter_email_ids(case=case)
    ours = [i.strip("<>") for i in reporter_mail_ids(case=case)]
    thread = [*theirs[:1], *ours, *theirs[1:]]
    private: dict[str, str] = {}
    if case.reply_token:
        private["Reply-To"] = reply_address(case.reply_token)
    if thread:
        private["In-Reply-To"] = f"<{theirs[-1] if theirs else ours[-1]}>"
        private["References"] = " ".join(f"<{i}>" for i in dict.fromkeys(thread))
    return _to_address(name, address, scope=scope, context=context, case=case, private_headers=private)


# --- cases ---------------------------------------------------------------------------------------


def case_new(*, case: Case) -> list[int]:
    """A new (or newly unsealed) report: every member not conflicted is asked to declare. Marked
    urgent when someone may be in danger. Returns the ids of the members told."""
    kind = "case_urgent" if case.urgent else "case_new"
    return _to_members(
        "case_new",
        access.members_to_notify(case),
        scope=[case.pk],
        kind=kind,
        case=case,
        context={"case": case, "urgent": case.urgent, "link": url("cases:detail", reference=case.reference)},
    )


def case_short_of_members(*, case: Case) -> list[int]:
    """Fewer than two members are free to act on a case (the others excluded by the reporter,
    parties to it, held or conflicted): the chair is told, once, if she is free on it herself."""
    free = access.members_to_notify(case).values("pk")
    return _to_members(
        "case_short_of_members",
        access.chairs().filter(pk__in=free),
        scope=[case.pk],
        case=case,
        context={"case": case, "link": url("cases:detail", reference=case.reference)},
    )


def case_danger(*, case: Case, response: ImmediateResponse, by: Member) -> list[int]:
    """ "Someone may be in danger" was raised on a case: every member free of conflict (those who
    have not declared included) is told at once, but the one who raised it. Reference and link only."""
    return _to_members(
        "case_danger",
        access.members_to_notify(case).exclude(pk=by.pk),
        scope=[response.pk],
        case=case,
        context={"case": case, "link": url("cases:detail", reference=case.reference)},
    )


def reporter_confirmation(*, case: Case) -> OutboxMessage | None:
    """ "We received your report", to the address a named reporter gave. An anonymous reporter's
    notification address only ever hears "you have a new message" (`reporter_ping`). Nothing goes
    to a reporter who asked for no further involvement."""
    address = reporter_address(case=case)
    if not address or not case.wants_updates:
        return None
    if case.kind != Kind.NAMED:
        return _ping(case=case, scope=["confirmation", case.pk])
    return _to_reporter(
        "reporter_confirmation",
        address,
        scope=[case.pk],
        case=case,
        context={"case": case, "status_url": url("intake:status")},
    )


def reporter_confirmation_text(*, case: Case) -> str:
    """The confirmation as the receipt-code portal shows it (not the email: nothing to reply to)."""
    return render_to_string(
        "email/reporter_confirmation.portal.txt", {"case": case, "named": case.kind == Kind.NAMED}
    ).strip()


def reporter_wrote(*, message: Message) -> list[int]:
    """The reporter added something (portal or email): the members taking part are told."""
    case = message.case
    return _to_members(
        "reporter_wrote",
        access.members_to_update(case),
        scope=[message.pk],
        case=case,
        context={"case": case, "link": url("cases:detail", reference=case.reference)},
    )


def rejoin_request(*, declaration: ConflictDeclaration) -> list[int]:
    case = declaration.case
    return _to_members(
        "rejoin_request",
        access.case_participants(case),
        scope=[declaration.pk, declaration.rejoin_requested_at.isoformat()],
        case=case,
        context={"case": case, "link": url("cases:detail", reference=case.reference)},
    )


def law_enforcement_shared(*, record: LawEnforcementRecord) -> list[int]:
    """The community manager is told that something was given to law enforcement (a link to
    exactly that record), unless she has a conflict on the case: the same rule as members, checked
    again when the email is sent."""
    return _to_members(
        "law_enforcement_shared",
        access.community_managers_for(record.case),
        scope=[record.pk],
        case=record.case,
        context={"case": record.case, "link": url("cases:shared_record", record_id=record.pk)},
    )


def escrow_match(*, match: EscrowMatch) -> list[int]:
    return _to_members(
        "escrow_match",
        access.members_free_on_both(match.sealed_case, match.other_case),
        scope=[match.pk],
        context={"link": url("escrow:matches")},
    )


def escrow_unseal_agreed(*, match: EscrowMatch, by: Member) -> list[int]:
    """One member agreed to unseal an escrowed report: the other members free on both are asked
    whether they agree too (two are needed, D7). Never the member who triggered the match."""
    others = access.members_free_on_both(match.sealed_case, match.other_case).exclude(pk=by.pk)
    if match.triggered_by_id is not None:
        others = others.exclude(pk=match.triggered_by_id)
    return _to_members(
        "escrow_unseal_agreed", others, scope=[match.pk, by.pk], context={"link": url("escrow:matches")}
    )


# --- messages to the reporter --------------------------------------------------------------------


def reporter_message(*, message: Message, subject: str) -> OutboxMessage | None:
    """A message a member wrote (or the automatic delay notice), by email to a named reporter."""
    case = message.case
    return _to_reporter(
        "reporter_message",
        reporter_address(case=case),
        scope=[message.pk],
        case=case,
        context={"case": case, "subject": subject, "body": message.body},
    )


def reporter_message_text(*, case: Case, subject: str, body: str) -> tuple[str, str]:
    """The email `reporter_message` would send, as (subject, body): what the preview shows."""
    context = {"case": case, "subject": subject, "body": body, "base_url": settings.BASE_URL}
    return _render("reporter_message", context)


def reporter_ping_text() -> tuple[str, str]:
    """The email a notification-only address gets, as (subject, body): what the preview shows."""
    return _render("reporter_ping", {"status_url": url("intake:status"), "base_url": settings.BASE_URL})


def reporter_ping(*, message: Message) -> OutboxMessage | None:
    """An anonymous reporter's notification address hears only that there is a new message."""
    return _ping(case=message.case, scope=[message.pk])


def _ping(*, case: Case, scope: list[object]) -> OutboxMessage | None:
    """The one email a notification-only address ever gets: no reference, nothing of the case."""
    return _to_reporter(
        "reporter_ping",
        case.notify_email,
        scope=scope,
        case=case,
        context={"status_url": url("intake:status")},
    )


# --- deadlines -------------------------------------------------------------------------------------


def digest(*, member: Member, items: list, day: date, zone: tzinfo) -> list[int]:
    """The member's one email of the day (D5): what waits for them, each line a reference (or their
    own task), what is due and a link to the exact place; never a detail of a report. `items`
    (`deadlines.selectors.Waiting`) come through `access`, so no case they are conflicted on;
    the email names several cases, so it is checked when queued, not again when sent (`tick`
    drains the outbox right after). Dedupe key `digest:<their day>:<member>`."""
    return _to_members(
        "digest",
        [member],
        scope=[f"{day:%Y-%m-%d}"],
        context={
            "items": items,
            "day": day,
            "zone": zone,
            "urgent": any(item.urgent for item in items),
            "link": url("dashboard"),
            "settings_link": url("deadlines:notices"),
        },
    )


def discussion_posted(*, post: DiscussionPost) -> list[int]:
    """A new post in a case's discussion: at once to the members taking part who asked for that
    (`NoticePreference.posts_at_once`); the others find it in their digest. Never its author.
    Reference and a link to the post only."""
    case = post.case
    wanting = access.case_participants(case).filter(notice_preference__posts_at_once=True)
    if post.author_id is not None:
        wanting = wanting.exclude(pk=post.author_id)
    return _to_members(
        "discussion_posted",
        wanting,
        scope=[post.pk],
        case=case,
        context={
            "case": case,
            "link": url("cases:detail", reference=case.reference) + f"#post-{post.pk}",
            "settings_link": url("deadlines:notices"),
        },
    )


def proposal_opened(*, proposal: Proposal) -> list[int]:
    """A proposal was put to the vote: at once to the members taking part who asked for that
    (`NoticePreference.votes_at_once`); the others find it in their digest. Never the member who
    proposed it. Reference and a link to the proposal only."""
    case = proposal.case
    wanting = access.case_participants(case).filter(notice_preference__votes_at_once=True)
    if proposal.proposed_by_id is not None:
        wanting = wanting.exclude(pk=proposal.proposed_by_id)
    return _to_members(
        "proposal_opened",
        wanting,
        scope=[proposal.pk],
        case=case,
        context={
            "case": case,
            "link": url("cases:detail", reference=case.reference) + f"#proposal-{proposal.pk}",
            "settings_link": url("deadlines:notices"),
        },
    )


def transparency_check_asked(
    *, report: TransparencyReport, case: Case, members: Iterable[Member], digest: str
) -> list[int]:
    """The members taking part in `case` are asked to check the draft of the year's report for the
    people of their case (once per text: a changed text asks again)."""
    return _to_members(
        "transparency_check_asked",
        members,
        scope=[report.year, case.pk, digest[:16]],
        case=case,
        context={
            "year": report.year,
            "reference": case.reference,
            "link": url("transparency:case_check", reference=case.reference, year=report.year),
        },
    )


def retention_deletion_soon(*, case: Case, deletion_at: datetime, scope: Iterable[object]) -> list[int]:
    """30 days before a closed case's content is deleted: the chair(s) free of conflict on it (or,
    without one, the members taking part) may keep it longer. Reference, date and a link only."""
    return _to_members(
        "retention_deletion_soon",
        access.retention_stewards(case),
        scope=scope,
        case=case,
        context={
            "case": case,
            "deletion_at": deletion_at,
            # The case page: a chair who has not declared on the case yet is asked to first.
            "link": url("cases:detail", reference=case.reference) + "#retention",
            "settings_link": url("deadlines:retention"),
        },
    )


def transparency_change_asked(*, report: TransparencyReport, digest: str) -> list[int]:
    """The chair(s) hear that a case team asked for a change of the draft: no case is named."""
    return _to_members(
        "transparency_change_asked",
        access.chairs(),
        scope=[report.year, digest[:16]],
        context={"year": report.year, "link": url("transparency:draft", year=report.year)},
    )


# --- the committee over time -----------------------------------------------------------------------


def removal_opened(*, removal: Removal, by: Member) -> list[int]:
    """Every member who may vote, but the one who opened it, and never the member concerned."""
    return _to_members(
        "removal_opened",
        access.removal_voters(removal).exclude(pk=by.pk),
        scope=[removal.pk],
        about=removal.member,
        context={"link": url("removal", pk=removal.pk)},
    )


def offboarding_started(*, offboarding: Offboarding) -> list[int]:
    """The chair(s) are asked to finish the off-boarding; with no chair left, every member is, and
    the email says that two of them act for the chair together."""
    return _to_members(
        "offboarding_started",
        access.offboarding_stewards(offboarding),
        scope=[offboarding.pk],
        about=offboarding.member,
        context={
            "leaving": offboarding.member,
            "resigned": offboarding.reason == OffboardingReason.RESIGNATION,
            "no_chair": access.offboarding_has_no_chair(offboarding),
            "link": url("offboarding", pk=offboarding.pk),
        },
    )


def offboarding_step_proposed(*, step: OffboardingStep) -> list[int]:
    """Without a chair: a member proposed one of the chair's off-boarding steps; the other members
    who may confirm it are asked to."""
    offboarding = step.offboarding
    return _to_members(
        "offboarding_step_proposed",
        access.offboarding_stewards(offboarding).exclude(pk=step.proposed_by_id),
        scope=[step.pk],
        context={
            "leaving": offboarding.member,
            "proposer": step.proposed_by,
            "step": step.label,
            "link": url("offboarding", pk=offboarding.pk),
        },
    )


def offboarding_notice(
    *, offboarding: Offboarding, by: Member, also: Member | None = None
) -> OutboxMessage | None:
    """The chair's notice to the departing member, to their address: the outbox withholds mail to
    disabled accounts, and theirs is disabled before this may be sent. Without a chair it is signed
    by both members who sent it (`also` proposed it, `by` confirmed it)."""
    member = offboarding.member
    return _to_address(
        "offboarding_notice",
        member.email,
        scope=[offboarding.pk],
        about=member,
        context={
            "member": member,
            "chair": by,
            "also": also,
            "removed": offboarding.reason == OffboardingReason.REMOVAL,
        },
    )


def chair_election_opened(*, election: ChairElection, by: Member) -> list[int]:
    """Every member who may vote but the one who opened it; the email does not name the candidate."""
    return _to_members(
        "chair_election_opened",
        access.chair_election_voters().exclude(pk=by.pk),
        scope=[election.pk],
        context={"link": url("chair_election", pk=election.pk)},
    )
