"""Login, logout, enrolment, and the committee over time (resigning, removal discussions,
off-boarding). Thin: parse, call a service, render."""

from __future__ import annotations

import io

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout, user_login_failed
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from cocdesk import access, clock
from cocdesk.audit.services import audit_record
from cocdesk.cases import selectors as case_selectors
from cocdesk.confirm import confirm_form, confirmation_page, confirmed
from cocdesk.errors import Refused
from cocdesk.members import selectors, services
from cocdesk.members.forms import (
    ChairElectionOpenForm,
    ChairElectionVoteForm,
    EnrolmentForm,
    IdentityForm,
    LoginForm,
    NextForm,
    OffboardingTickForm,
    RemovalOpenForm,
    RemovalPostForm,
    RemovalVoteForm,
    RoleForm,
    step_down_confirmation,
)
from cocdesk.members.models import OffboardingReason, OffboardingStep, Role, StepKind
from cocdesk.middleware import SessionLifetimeMiddleware
from cocdesk.web import found_or_404, refusal_to_form, refusal_to_messages, require

LOGIN_FAILED = _("That email address, password and code do not match an account. Please try again.")


def _safe_next(request: HttpRequest) -> str:
    """Where to go after logging in: a path on this site, or the dashboard."""
    form = NextForm(request.POST if request.method == "POST" else request.GET)
    target = form.cleaned_data["next"] if form.is_valid() else ""
    ok = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if ok and target.startswith("/") else settings.LOGIN_REDIRECT_URL


@sensitive_post_parameters("password", "code")
def login_view(request: HttpRequest) -> HttpResponse:
    """Password and TOTP code on one form: a wrong password and a wrong code look the same."""
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"].strip().lower()
        member = authenticate(request, username=email, password=form.cleaned_data["password"])
        if getattr(request, "axes_locked_out", False):
            return render(request, "members/locked_out.html", status=429)
        device = services.totp_verify(member=member, code=form.cleaned_data["code"]) if member else None
        if member is not None and device is not None and member.is_active:
            login(request, member)  # a new session key
            otp_login(request, device)
            request.session[SessionLifetimeMiddleware.KEY] = clock.now().isoformat()
            services.member_login_recorded(member=member)
            return redirect(_safe_next(request))
        if member is not None:
            # Right password, wrong code: counts towards the lockout like a wrong password.
            user_login_failed.send(sender=__name__, credentials={"username": email}, request=request)
            if getattr(request, "axes_locked_out", False):
                return render(request, "members/locked_out.html", status=429)
        services.member_login_failed(member=selectors.member_by_email(email=email))
        form.add_error(None, LOGIN_FAILED)
    return render(request, "members/login.html", {"form": form, "next": _safe_next(request)})


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("home")


@sensitive_post_parameters("password", "password_again", "code")
def enrol_view(request: HttpRequest, token: str) -> HttpResponse:
    """Set a password and enrol an authenticator app from a one-time link."""
    enrolment = selectors.enrolment_token_find(token=token)
    if enrolment is None:
        return render(request, "members/enrol_invalid.html", status=404)
    device = services.enrolment_device(member=enrolment.member)
    form = EnrolmentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.enrolment_complete(
                token=enrolment, password=form.cleaned_data["password"], code=form.cleaned_data["code"]
            )
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                for message in messages:
                    form.add_error(field, message)
        else:
            return render(request, "members/enrol_done.html")
    context = {
        "form": form,
        "member": enrolment.member,
        "qr_svg": _qr_svg(device.config_url),
        # On a phone the QR code cannot be scanned with that phone: the otpauth: link opens the app.
        "config_url": device.config_url,
        "secret": selectors.totp_secret_grouped(device),
    }
    return render(request, "members/enrol.html", context)


def _qr_svg(data: str) -> str:
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue().decode()


# --- the committee over time (D8) -----------------------------------------------------------
# Every page asks access.py; anyone it does not name gets "not found", the member concerned included.


@require(access.is_committee_member)
def resign(request: HttpRequest) -> HttpResponse:
    """A member steps down. GET: what happens, who is told, and the cases it would leave
    unattended; POST with the box ticked: their access ends with this request, the chair finishes
    the rest."""
    form = confirm_form(request)
    if confirmed(request, form):
        services.offboarding_start(
            member=request.user, reason=OffboardingReason.RESIGNATION, actor=request.user
        )
        logout(request)
        return render(request, "members/resigned.html")
    confirm = step_down_confirmation(
        unattended=case_selectors.cases_left_unattended(leaving=request.user),
        has_chair=access.chairs().exclude(pk=request.user.pk).exists(),
        action=reverse("resign"),
        cancel_url=reverse("dashboard"),
    )
    lead = _("Stepping down is never held against anyone. Thank you for the work you have done.")
    return confirmation_page(request, confirm, form, lead=lead)


@require(access.is_committee_member)
def removals(request: HttpRequest) -> HttpResponse:
    context = {
        "open": selectors.removals_open_for(user=request.user),
        "decided": selectors.removals_decided_for(user=request.user),
        "no_chair": not selectors.committee_has_chair(),
    }
    return render(request, "members/removals.html", context)


@sensitive_post_parameters()
@require(access.is_committee_member)
def removal_new(request: HttpRequest) -> HttpResponse:
    form = RemovalOpenForm(request.POST or None, candidates=selectors.removal_candidates(user=request.user))
    if request.method == "POST" and form.is_valid():
        try:
            removal = services.removal_open(
                member=form.cleaned_data["member"], by=request.user, text=form.cleaned_data["text"]
            )
        except Refused as exc:
            refusal_to_form(form, exc)
        else:
            return redirect("removal", pk=removal.pk)
    return render(request, "members/removal_new.html", {"form": form}, status=400 if form.errors else 200)


def removal_detail(request: HttpRequest, pk: int, post_form: RemovalPostForm | None = None) -> HttpResponse:
    removal = found_or_404(selectors.removal_for(user=request.user, pk=pk))
    audit_record(actor=request.user, action="removal.viewed", target=removal)
    context = {
        "removal": removal,
        "posts": selectors.removal_posts(removal=removal),
        "tally": selectors.removal_tally(removal=removal) if removal.status == "open" else removal.tally,
        "my_vote": selectors.removal_vote_of(removal=removal, member=request.user),
        "may_vote": access.may_vote_on_removal(request.user, removal),
        # Only the cases this voter takes part in: never a reference they may not read (D3).
        "unattended": case_selectors.cases_left_unattended(leaving=removal.member, seen_by=request.user)
        if removal.status == "open"
        else [],
        "post_form": post_form or RemovalPostForm(),
        "vote_form": RemovalVoteForm(),
    }
    return render(request, "members/removal.html", context, status=400 if post_form else 200)


@require_POST
@sensitive_post_parameters()
def removal_post(request: HttpRequest, pk: int) -> HttpResponse:
    removal = found_or_404(selectors.removal_for(user=request.user, pk=pk))
    form = RemovalPostForm(request.POST)
    if not form.is_valid():
        return removal_detail(request, pk, post_form=form)
    try:
        services.removal_post_add(removal=removal, author=request.user, text=form.cleaned_data["text"])
    except Refused as exc:
        refusal_to_form(form, exc, field="text")
        return removal_detail(request, pk, post_form=form)
    return redirect("removal", pk=removal.pk)


@require_POST
def removal_vote(request: HttpRequest, pk: int) -> HttpResponse:
    removal = found_or_404(selectors.removal_for(user=request.user, pk=pk))
    form = RemovalVoteForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Please choose yes or no."))
    else:
        try:
            services.removal_vote(
                removal=removal, member=request.user, remove=form.cleaned_data["choice"] == "yes"
            )
        except Refused as exc:
            refusal_to_messages(request, exc)
        else:
            messages.success(request, _("Thank you. Your vote is recorded."))
    return redirect("removal", pk=removal.pk)


@require(access.may_manage_offboarding)
def roster(request: HttpRequest, status: int = 200) -> HttpResponse:
    """For the chair (or, while there is no chair, every member): who is on the committee (the chair
    also changes roles here), the other accounts, and who is being off-boarded."""
    committee, others = selectors.roster_roles(user=request.user)
    context = {
        "committee": committee,
        "others": others,
        "identity_holders": selectors.identity_holders(user=request.user),
        "offboardings": selectors.offboardings_for(user=request.user),
        "open_removals": selectors.removals_open_for(user=request.user),
        "has_chair": selectors.committee_has_chair(),
    }
    return render(request, "members/roster.html", context, status=status)


@require_POST
@require(access.may_change_roles)
def member_role(request: HttpRequest, pk: int) -> HttpResponse:
    """The chair gives another account another role (never their own, never the operator's)."""
    member = found_or_404(selectors.role_account_for(user=request.user, pk=pk))
    roles = selectors.roles_assignable(member=member)
    form = RoleForm(request.POST, roles=[(role, Role(role).label) for role in roles])
    if not form.is_valid():
        messages.error(request, _("%(name)s cannot be given that role.") % {"name": member.name})
        return roster(request, status=400)
    try:
        services.member_role_set(member=member, role=form.cleaned_data["role"], actor=request.user)
    except Refused as exc:
        refusal_to_messages(request, exc)
        return roster(request, status=400)
    messages.success(
        request,
        _("%(name)s is now %(role)s.") % {"name": member.name, "role": member.get_role_display()},
    )
    return redirect("roster")


def offboarding_detail(request: HttpRequest, pk: int) -> HttpResponse:
    offboarding = found_or_404(selectors.offboarding_for(user=request.user, pk=pk))
    audit_record(actor=request.user, action="offboarding.viewed", target=offboarding)
    context = {
        "offboarding": offboarding,
        "checklist": selectors.offboarding_checklist(offboarding=offboarding),
        "blockers": selectors.offboarding_notice_blockers(offboarding=offboarding),
        # Without a chair, two members act for the chair: one proposes a step, another confirms it.
        "two_members": not access.may_work_on_offboarding(request.user, offboarding)
        and access.may_act_for_chair_on_offboarding(request.user, offboarding),
        "notice_step": selectors.offboarding_notice_step(offboarding=offboarding),
        "steps_done": selectors.offboarding_steps_done(offboarding=offboarding),
    }
    return render(request, "members/offboarding.html", context)


def _step_taken(request: HttpRequest, step: OffboardingStep) -> None:
    if step.confirmed_by_id == request.user.pk:
        messages.success(request, _("Confirmed. It is done."))
    else:
        messages.success(request, _("Noted. It happens once another committee member confirms it."))


@require_POST
def offboarding_tick(request: HttpRequest, pk: int) -> HttpResponse:
    offboarding = found_or_404(selectors.offboarding_for(user=request.user, pk=pk))
    form = OffboardingTickForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("That is not on the checklist."))
        return redirect("offboarding", pk=offboarding.pk)
    item, done = form.cleaned_data["item"], form.cleaned_data["done"]
    try:
        if access.may_work_on_offboarding(request.user, offboarding):
            services.offboarding_tick(offboarding=offboarding, item=item, done=done, by=request.user)
        else:  # no chair: a second member must confirm (the service refuses anyone else)
            kind = StepKind.TICK if done else StepKind.UNTICK
            step = services.offboarding_step_propose(
                offboarding=offboarding, kind=kind, item=item, by=request.user
            )
            _step_taken(request, step)
    except Refused as exc:
        refusal_to_messages(request, exc)
    return redirect("offboarding", pk=offboarding.pk)


@require_POST
def offboarding_notice(request: HttpRequest, pk: int) -> HttpResponse:
    offboarding = found_or_404(selectors.offboarding_for(user=request.user, pk=pk))
    try:
        if access.may_work_on_offboarding(request.user, offboarding):
            services.offboarding_notice_send(offboarding=offboarding, by=request.user)
            messages.success(request, _("The notice is on its way."))
        else:  # no chair: a second member must confirm (the service refuses anyone else)
            step = services.offboarding_step_propose(
                offboarding=offboarding, kind=StepKind.NOTICE, by=request.user
            )
            _step_taken(request, step)
    except Refused as exc:
        refusal_to_messages(request, exc)
    return redirect("offboarding", pk=offboarding.pk)


@require_POST
def offboarding_step_confirm(request: HttpRequest, pk: int, step: int) -> HttpResponse:
    offboarding = found_or_404(selectors.offboarding_for(user=request.user, pk=pk))
    proposed = found_or_404(offboarding.steps.filter(pk=step).first())
    try:
        taken = services.offboarding_step_confirm(step=proposed, by=request.user)
    except Refused as exc:
        refusal_to_messages(request, exc)
    else:
        _step_taken(request, taken)
    return redirect("offboarding", pk=offboarding.pk)


# --- identities (D3): what a member is known by, matched against every report -------------------


@sensitive_post_parameters()
@require(access.may_keep_identities)
def identities(request: HttpRequest) -> HttpResponse:
    """The names, addresses and handles the member is known by (their account's always count)."""
    return _identities_page(request, request.user)


@sensitive_post_parameters()
@require(access.may_manage_offboarding)
def member_identities(request: HttpRequest, member_id: int) -> HttpResponse:
    """The chair keeps another member's list (from the roster); audited."""
    member = found_or_404(selectors.identity_owner_for(user=request.user, member_id=member_id))
    if request.method == "GET":
        audit_record(actor=request.user, action="member.identities_viewed", target=member)
    return _identities_page(request, member)


def _identities_page(request: HttpRequest, member) -> HttpResponse:
    form = IdentityForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.identity_add(member=member, by=request.user, **form.cleaned_data)
        except Refused as exc:
            refusal_to_form(form, exc, field="value")
        else:
            messages.success(request, _("Added. Reports are checked against it from now on."))
            return redirect(request.path)
    context = {
        "member": member,
        "own": member.pk == request.user.pk,
        "rows": selectors.identities_of(member=member),
        "form": form,
    }
    return render(request, "members/identities.html", context, status=400 if form.errors else 200)


@require_POST
@require(access.may_keep_identities)
def identity_remove(request: HttpRequest, pk: int) -> HttpResponse:
    row = found_or_404(selectors.identity_for(user=request.user, pk=pk))
    member = row.member
    try:
        services.identity_remove(row=row, by=request.user)
    except Refused as exc:
        refusal_to_messages(request, exc)
    if member.pk == request.user.pk:
        return redirect("identities")
    return redirect("member_identities", member_id=member.pk)


# --- chair elections (D8) --------------------------------------------------------------------


@require(access.is_committee_member)
def chair_elections(request: HttpRequest) -> HttpResponse:
    """Open and decided chair elections, and the form to propose a chair."""
    form = ChairElectionOpenForm(
        request.POST or None, candidates=selectors.chair_election_candidates(user=request.user)
    )
    if request.method == "POST" and form.is_valid():
        try:
            election = services.chair_election_open(candidate=form.cleaned_data["candidate"], by=request.user)
        except Refused as exc:
            refusal_to_form(form, exc)
        else:
            return redirect("chair_election", pk=election.pk)
    context = {
        "form": form,
        "open": selectors.chair_elections_open_for(user=request.user),
        "decided": selectors.chair_elections_decided_for(user=request.user),
        "has_chair": selectors.committee_has_chair(),
    }
    return render(request, "members/chair_elections.html", context, status=400 if form.errors else 200)


def chair_election_detail(request: HttpRequest, pk: int) -> HttpResponse:
    election = found_or_404(selectors.chair_election_for(user=request.user, pk=pk))
    audit_record(actor=request.user, action="chair_election.viewed", target=election)
    context = {
        "election": election,
        "tally": selectors.chair_election_tally(election=election)
        if election.status == "open"
        else election.tally,
        "my_vote": selectors.chair_election_vote_of(election=election, member=request.user),
        "may_vote": access.may_vote_in_chair_election(request.user, election),
        "vote_form": ChairElectionVoteForm(),
    }
    return render(request, "members/chair_election.html", context)


@require_POST
def chair_election_vote(request: HttpRequest, pk: int) -> HttpResponse:
    election = found_or_404(selectors.chair_election_for(user=request.user, pk=pk))
    form = ChairElectionVoteForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Please choose yes or no."))
    else:
        try:
            services.chair_election_vote(
                election=election, member=request.user, elect=form.cleaned_data["choice"] == "yes"
            )
        except Refused as exc:
            refusal_to_messages(request, exc)
        else:
            messages.success(request, _("Thank you. Your vote is recorded."))
    return redirect("chair_election", pk=election.pk)
