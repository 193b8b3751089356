"""Deadlines pages: writing to the reporter, a case's deadlines, reporter templates, check-ins, the
calendar feed, and retention (the committee's settings, keeping one case longer). Thin views: cases
are fetched through the access policy (`web.with_case`, 404 otherwise); rules and writes are in
services."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_POST

from cocdesk import access, clock, stepup
from cocdesk.audit.services import audit_record
from cocdesk.deadlines import ical, rules, selectors, services
from cocdesk.deadlines.forms import (
    CheckInForm,
    ComposeForm,
    NoticePreferenceForm,
    RetentionExtendForm,
    RetentionPolicyForm,
    TemplateChoiceForm,
    TemplateForm,
    ToldForm,
    WishesForm,
)
from cocdesk.deadlines.models import CheckInAnswer, Rule, TemplateKind
from cocdesk.errors import Refused
from cocdesk.web import refusal_to_form, refusal_to_messages, require, with_case

if TYPE_CHECKING:
    from cocdesk.cases.models import Case

# --- writing to the reporter -----------------------------------------------------------------


def _filled_templates(case: Case, member_name: str) -> dict[str, dict[str, str]]:
    """Every template, filled in for this case and sender, by kind (the compose page offers them)."""
    return {
        template.kind: {
            "label": str(TemplateKind(template.kind).label),
            "subject": services.template_fill(template.subject, case=case, member_name=member_name),
            "body": services.template_fill(template.body, case=case, member_name=member_name),
        }
        for template in selectors.reporter_templates()
    }


def _untouched(text: str, templates: dict[str, dict[str, str]]) -> bool:
    """Nothing typed: empty, or exactly a template as it was filled in."""
    text = text.strip()
    return not text or any(text == t["body"].strip() for t in templates.values())


def _preview_token(request: HttpRequest, case: Case, kind: str, subject: str, body: str) -> str:
    """Proves the member saw the preview of exactly this message before sending it."""
    value = "\x1f".join([str(case.pk), str(request.user.pk), kind, subject.strip(), body.strip()])
    return salted_hmac("cocdesk.deadlines.compose", value).hexdigest()


def _masked(address: str) -> str:
    local, _at, domain = address.partition("@")
    return f"{local[:2]}•••@{domain}" if domain else "•••"


@sensitive_post_parameters()
@with_case
def compose(request: HttpRequest, case: Case) -> HttpResponse:
    """Compose → preview → send. Choosing a kind of message offers its template: it fills the text
    only when nothing is typed, or after asking. The preview shows exactly what the reporter gets
    (email and portal) and where; only the preview can send."""
    templates = _filled_templates(case, request.user.name)
    ask = None
    if request.method == "POST":
        form = ComposeForm(request.POST)
        form.is_valid()  # parse; errors are shown only when previewing or sending
        data = {key: form.cleaned_data.get(key) or "" for key in ("kind", "subject", "body", "action")}
        action = data["action"] or "preview"
        kind, subject, body = data["kind"], data["subject"], data["body"]
        if action in ("template", "replace", "keep") and kind:
            if action == "replace" or (action == "template" and _untouched(body, templates)):
                subject, body = templates[kind]["subject"], templates[kind]["body"]
            elif action == "template":
                ask = templates[kind]["label"]  # "Replace what you wrote with the … template?"
            form = ComposeForm(initial={"kind": kind, "subject": subject, "body": body})
        elif action == "edit":
            form = ComposeForm(initial={"kind": kind, "subject": subject, "body": body})
        elif form.is_valid():
            try:
                if action == "send" and form.cleaned_data["previewed"] == _preview_token(
                    request, case, kind, subject, body
                ):
                    delivery = services.reporter_message_send(
                        case=case, author=request.user, kind=kind, subject=subject, body=body
                    )
                    messages.success(
                        request,
                        _("Your message is on its way (%(how)s) and on the timeline.")
                        % {"how": delivery.how},
                    )
                    return redirect("deadlines:case", reference=case.reference)
                preview = services.reporter_message_preview(
                    case=case, author=request.user, kind=kind, subject=subject, body=body
                )
            except Refused as exc:
                refusal_to_form(form, exc)
            else:
                return _preview_page(request, case, form, preview)
    else:
        choice = TemplateChoiceForm(request.GET)
        kind = choice.cleaned_data["template"] if choice.is_valid() else selectors.suggested_kind(case=case)
        form = ComposeForm(
            initial={"kind": kind, "subject": templates[kind]["subject"], "body": templates[kind]["body"]}
        )
    return _compose_page(request, case, form, templates=templates, ask=ask)


def _compose_page(
    request: HttpRequest,
    case: Case,
    form: ComposeForm,
    *,
    templates: dict | None = None,
    ask: str | None = None,
    told_form: ToldForm | None = None,
    status: int = 200,
) -> HttpResponse:
    context = {
        "case": case,
        "form": form,
        "templates": templates or _filled_templates(case, request.user.name),
        "ask": ask,
        "route": selectors.reporter_route(case=case),
        "opted_out": not case.wants_updates,
        "has_portal": bool(case.receipt_hash),
        "reporter_has_written": selectors.reporter_has_written(case=case),
        "told_form": told_form
        or ToldForm(initial={"kind": form["kind"].value() or TemplateKind.ACKNOWLEDGEMENT}),
        "wishes_form": WishesForm(),
    }
    return render(request, "deadlines/compose.html", context, status=status)


def _preview_page(
    request: HttpRequest, case: Case, form: ComposeForm, preview: services.Preview
) -> HttpResponse:
    data = form.cleaned_data
    revealed = stepup.is_fresh(request)
    context = {
        "case": case,
        "preview": preview,
        "kind_label": TemplateKind(preview.kind).label,
        "address": preview.address if revealed else _masked(preview.address),
        "address_revealed": revealed,
        "kind": data["kind"],
        "subject": data["subject"],
        "body": data["body"],
        "token": _preview_token(request, case, data["kind"], data["subject"], data["body"]),
        "now": clock.now(),
    }
    return render(request, "deadlines/compose_preview.html", context)


@require_POST
@sensitive_post_parameters()
@with_case
def told(request: HttpRequest, case: Case) -> HttpResponse:
    """ "I told them by phone or in person" (who, when, what): counts like the written message of
    that kind for the deadlines."""
    form = ToldForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.reporter_told_record(
                case=case,
                by=request.user,
                kind=data["kind"],
                how=data["how"],
                text=data["text"],
                at=data["at"],
            )
        except Refused as exc:
            refusal_to_form(form, exc)
        else:
            messages.success(request, _("Thank you. It is on the timeline, and counts for the deadlines."))
            return redirect("deadlines:case", reference=case.reference)
    compose_form = ComposeForm(initial={"kind": TemplateKind.ACKNOWLEDGEMENT})
    return _compose_page(request, case, compose_form, told_form=form, status=400)


@require_POST
@with_case
def wishes(request: HttpRequest, case: Case) -> HttpResponse:
    """The reporter told us they would like to hear from us again (or no longer)."""
    form = WishesForm(request.POST)
    if form.is_valid():
        try:
            services.reporter_wishes_record(
                case=case, by=request.user, wants_updates=form.cleaned_data["wants_updates"]
            )
        except Refused as exc:
            refusal_to_messages(request, exc)
    return redirect("deadlines:compose", reference=case.reference)


@require_GET
@with_case
def case_deadlines(request: HttpRequest, case: Case) -> HttpResponse:
    """One case's deadlines, its messages to the reporter (kinds and dates) and the search."""
    audit_record(actor=request.user, action="case.deadlines_viewed", target=case)
    facts = selectors.case_facts_for(case=case)
    context = {
        "case": case,
        "now": clock.now(),
        "deadlines": selectors.case_deadlines(case=case, facts=facts),
        "searching": rules.searching(facts=facts),
        "sent": selectors.messages_to_reporter(case=case),
        "route": selectors.reporter_route(case=case),
        "retention": selectors.case_retention(case=case),
        "may_extend_retention": access.may_extend_retention(request.user, case),
    }
    return render(request, "deadlines/case.html", context)


# --- reporter templates ----------------------------------------------------------------------


@require(access.is_committee_member)
def templates_list(request: HttpRequest) -> HttpResponse:
    return render(request, "deadlines/templates.html", {"templates": selectors.reporter_templates()})


@require(access.is_committee_member)
def template_edit(request: HttpRequest, kind: str) -> HttpResponse:
    if kind not in TemplateKind.values:
        raise Http404
    template = selectors.reporter_template(kind=kind)
    form = TemplateForm(request.POST or None, initial={"subject": template.subject, "body": template.body})
    if request.method == "POST" and form.is_valid():
        try:
            services.reporter_template_update(
                kind=kind,
                subject=form.cleaned_data["subject"],
                body=form.cleaned_data["body"],
                by=request.user,
            )
        except Refused as exc:
            refusal_to_form(form, exc)
        else:
            messages.success(request, _("The template is saved."))
            return redirect("deadlines:templates")
    return render(
        request,
        "deadlines/template_edit.html",
        {"form": form, "kind_label": TemplateKind(kind).label, "kind": kind},
    )


# --- retention -------------------------------------------------------------------------------


@require(access.is_committee_member)
def retention_settings(request: HttpRequest) -> HttpResponse:
    """How long closed cases are kept, in plain words; the chair edits the periods (D5)."""
    may_edit = access.may_manage_retention(request.user)
    if request.method == "POST" and not may_edit:
        raise Http404
    policy = selectors.retention_policy()
    form = RetentionPolicyForm(request.POST or None, instance=policy)
    if request.method == "POST" and form.is_valid():
        try:
            services.retention_policy_update(by=request.user, **form.cleaned_data)
        except Refused as exc:
            refusal_to_form(form, exc)
        else:
            messages.success(request, _("The retention settings are saved."))
            return redirect("deadlines:retention")
    context = {
        "form": form,
        "policy": policy,
        "may_edit": may_edit,
        "notice_days": rules.RETENTION_NOTICE_BEFORE.days,
    }
    return render(request, "deadlines/retention.html", context, status=400 if form.errors else 200)


@sensitive_post_parameters()
@with_case
def retention_extend(request: HttpRequest, case: Case) -> HttpResponse:
    """Keep one closed case longer than the committee's periods, with a reason (audited)."""
    if not access.may_extend_retention(request.user, case):
        raise Http404
    form = RetentionExtendForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.retention_extend(
                case=case,
                by=request.user,
                reason=form.cleaned_data["reason"],
                until=form.cleaned_data["until"],
            )
        except Refused as exc:
            refusal_to_form(form, exc)
        else:
            messages.success(request, _("The case is kept longer. The new date is on the case page."))
            return redirect("cases:detail", reference=case.reference)
    audit_record(actor=request.user, action="case.retention_viewed", target=case)
    context = {
        "case": case,
        "form": form,
        "retention": selectors.case_retention(case=case),
        "policy": selectors.retention_policy(),
        "extensions": selectors.retention_extensions(case=case),
    }
    return render(request, "deadlines/retention_extend.html", context, status=400 if form.errors else 200)


# --- members ---------------------------------------------------------------------------------


@require(access.is_committee_member)
def check_in(request: HttpRequest) -> HttpResponse:
    """The six-monthly question, answered by the member."""
    form = CheckInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.check_in_answer(member=request.user, answer=form.cleaned_data["answer"])
        if form.cleaned_data["answer"] == CheckInAnswer.STEP_DOWN:
            logout(request)  # off-boarding has ended their access (D8)
            return render(request, "members/resigned.html")
        messages.success(request, _("Thank you for answering."))
        return redirect("dashboard")
    context = {
        "form": form,
        "open": selectors.open_check_in(member=request.user),
        "due_at": selectors.check_in_due_for(member=request.user),
    }
    return render(request, "deadlines/check_in.html", context)


@require(access.is_chair)
def check_ins(request: HttpRequest) -> HttpResponse:
    """For the chair: who has not answered their check-in, and when the transparency report is due."""
    context = {
        "rows": selectors.check_in_overview(),
        "now": clock.now(),
        "transparency_due": selectors.transparency_due_at(),
    }
    return render(request, "deadlines/check_ins.html", context)


# --- the daily email ----------------------------------------------------------------------------


@require(access.is_committee_member)
def notice_settings(request: HttpRequest) -> HttpResponse:
    """When the member's daily email comes (time of day, time zone), and whether new posts and
    votes are also emailed at once."""
    preference = selectors.notice_preference_of(member=request.user)
    form = NoticePreferenceForm(
        request.POST or None,
        time_zones=selectors.time_zone_names(),
        initial={
            "time_zone": preference.time_zone,
            "digest_at": preference.digest_at,
            "posts_at_once": preference.posts_at_once,
            "votes_at_once": preference.votes_at_once,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.notice_preference_update(member=request.user, **form.cleaned_data)
        except Refused as exc:
            refusal_to_form(form, exc)
        else:
            messages.success(request, _("Saved. Your daily email follows these settings from now on."))
            return redirect("deadlines:notices")
    context = {
        "form": form,
        # As a string: the template's date filter would turn it back into the site's time zone.
        "local_time": f"{clock.now().astimezone(selectors.time_zone_of(preference)):%H:%M}",
        "preference": preference,
    }
    return render(request, "deadlines/notices.html", context, status=400 if form.errors else 200)


# --- calendar --------------------------------------------------------------------------------


@require(access.is_committee_member)
def calendar_settings(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "deadlines/calendar.html",
        {"token": selectors.calendar_token_of(member=request.user), "feed_url": None},
    )


@require_POST
@require(access.is_committee_member)
def calendar_new(request: HttpRequest) -> HttpResponse:
    """A new feed address, shown once on this response (only its hash is kept)."""
    token = services.calendar_token_new(member=request.user)
    feed_url = request.build_absolute_uri(reverse("deadlines:calendar_feed", kwargs={"token": token}))
    return render(
        request,
        "deadlines/calendar.html",
        {"token": selectors.calendar_token_of(member=request.user), "feed_url": feed_url},
    )


@require_POST
@require(access.is_committee_member)
def calendar_revoke(request: HttpRequest) -> HttpResponse:
    services.calendar_token_revoke(member=request.user)
    messages.success(request, _("The calendar address no longer works."))
    return redirect("deadlines:calendar")


@require_GET
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The member's deadlines as iCalendar: references and rule names only. Reached without a login
    session (calendar apps cannot log in): the unguessable token is the credential, and it lists
    only the cases the member takes part in, through the access policy."""
    member = selectors.calendar_member(token=token)
    if member is None:
        raise Http404
    services.calendar_feed_used(member=member)
    base = settings.BASE_URL  # not the request's Host header: links in a feed outlive the request
    events = []
    for deadline in selectors.calendar_deadlines(member=member):
        if deadline.case is not None:
            summary = f"{deadline.case.reference}: {deadline.label}"
            url = f"{base}{reverse('deadlines:case', kwargs={'reference': deadline.case.reference})}"
            uid = f"{deadline.rule}-{deadline.case.pk}-{deadline.due_at:%Y%m%dT%H%M%S}@cocdesk"
        else:
            summary = deadline.label
            url = base + (reverse("deadlines:check_in") if deadline.rule == Rule.CHECK_IN else "/dashboard/")
            uid = f"{deadline.rule}-m{member.pk}-{deadline.due_at:%Y%m%d}@cocdesk"
        events.append(ical.Event(uid=uid, start=deadline.due_at, summary=summary, url=url))
    text = ical.calendar(name=_("Code of Conduct deadlines"), events=events, stamp=clock.now())
    return HttpResponse(text, content_type="text/calendar; charset=utf-8")
