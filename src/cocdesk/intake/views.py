"""Intake pages: the public report form and receipt-code portal, the committee's intake form, events."""

from __future__ import annotations

import logging
import math

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import DatabaseError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from cocdesk import access
from cocdesk.audit.services import audit_record
from cocdesk.cases import selectors as case_selectors
from cocdesk.errors import Refused, database_unavailable
from cocdesk.intake import ratelimit, selectors, services
from cocdesk.intake.forms import (
    CommitteeIntakeForm,
    EventForm,
    EventSafetyForm,
    PersonForm,
    PortalReplyForm,
    PublicReportForm,
    ReceiptCodeForm,
    ResponderForm,
)
from cocdesk.intake.models import Event
from cocdesk.members.selectors import committee_members
from cocdesk.uploads import upload_problems
from cocdesk.web import TAKEN_SESSION_KEY, refusal_to_form, with_case

log = logging.getLogger("cocdesk.intake")

PORTAL_SESSION_KEY = "cocdesk_portal_case"
THANKS_SESSION_KEY = "cocdesk_report_thanks"
NOT_SAVED = _(
    "We could not save your report just now. Nothing you wrote is lost: it is all still below. "
    "Please try again in a minute."
)
CHOOSE_FILES_AGAIN = _("Please choose your files again: browsers forget them when a form comes back.")


@sensitive_post_parameters()
def report_form(request: HttpRequest) -> HttpResponse:
    """The public report form. Stores the report (or, if the database is unavailable, keeps it in
    the encrypted spool) before saying thank you; the page itself needs no database (D2)."""
    form = PublicReportForm(
        request.POST or None, request.FILES or None, upload_problems=upload_problems(request)
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            wait = ratelimit.report_slot_take(request)
            if wait:
                form.add_error(None, _report_wait_message(wait))
                if request.FILES:
                    form.add_error("evidence", CHOOSE_FILES_AGAIN)
                return _too_many(render(request, "intake/report_form.html", {"form": form}, status=429), wait)
            try:
                received = services.web_report_receive(submission=form.submission())
            except ValidationError as exc:  # a file we cannot take (cocdesk.cases.evidence says why)
                ratelimit.report_slot_give_back(request)
                form.add_error("evidence", exc)
                form.add_error("evidence", CHOOSE_FILES_AGAIN)
            except (DatabaseError, OSError):
                ratelimit.report_slot_give_back(request)
                log.exception("a web report could not be stored, not even in the spool")
                form.add_error(None, NOT_SAVED)
                status = 503
            else:
                thanks = {
                    "reference": received.reference,
                    "code": received.receipt_code,
                    "kind": received.kind,
                    "urgent": received.urgent,
                    "alerted": received.alerted,
                    "event_id": received.event_id,
                    "discarded_contact": form.discarded_contact(),
                    "wants_updates": received.wants_updates,
                }
                if received.spooled:  # no session either: the thank-you page is this response
                    return render(request, "intake/report_thanks.html", {"thanks": thanks})
                request.session[THANKS_SESSION_KEY] = thanks
                return redirect("intake:thanks")
        elif request.FILES or form.upload_problems:
            form.add_error("evidence", CHOOSE_FILES_AGAIN)
    return render(request, "intake/report_form.html", {"form": form}, status=status)


def report_thanks(request: HttpRequest) -> HttpResponse:
    """Shows the reference and the receipt code once; a reload shows them no more. After an urgent
    report: what to do now (emergency number, venue security, the event's safety contact)."""
    thanks = request.session.pop(THANKS_SESSION_KEY, None)
    context = {"thanks": thanks}
    if thanks and thanks.get("urgent"):
        event = selectors.event_by_id(event_id=thanks.get("event_id"))
        context["safety"] = selectors.safety_info(event=event)
    return render(request, "intake/report_thanks.html", context)


@sensitive_post_parameters()
def status_lookup(request: HttpRequest) -> HttpResponse:
    """Receipt-code entry. A wrong code never tells whether a case exists; wrong codes are rate-limited
    per client and per code, and a valid code always opens its case (intake/ratelimit.py)."""
    form = ReceiptCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["code"]
        case = selectors.case_by_receipt_code(code=code)
        if case is not None:
            request.session.cycle_key()
            request.session[PORTAL_SESSION_KEY] = case.pk
            audit_record(actor="public", action="case.portal_opened", target=case)
            return redirect("intake:status_case")
        wait = ratelimit.code_wait(request, code=code)
        if wait:
            form.add_error(None, _code_wait_message(wait))
            return _too_many(render(request, "intake/status_lookup.html", {"form": form}, status=429), wait)
        ratelimit.code_failed(request, code=code)
        form.add_error("code", _("We could not find a report with that code. Please check it and try again."))
    return render(request, "intake/status_lookup.html", {"form": form})


def _minutes(seconds: int) -> int:
    return max(1, math.ceil(seconds / 60))


def _report_wait_message(seconds: int) -> str:
    minutes = _minutes(seconds)
    return ngettext(
        "Several reports were just sent from here. Please try again in about %(minutes)d minute. "
        "Nothing you wrote is lost: it is all still below.",
        "Several reports were just sent from here. Please try again in about %(minutes)d minutes. "
        "Nothing you wrote is lost: it is all still below.",
        minutes,
    ) % {"minutes": minutes}


def _code_wait_message(seconds: int) -> str:
    minutes = _minutes(seconds)
    return ngettext(
        "We could not find a report with that code, and there have been many tries from here. "
        "Please check your code and try again in about %(minutes)d minute. "
        "A correct code always opens your report.",
        "We could not find a report with that code, and there have been many tries from here. "
        "Please check your code and try again in about %(minutes)d minutes. "
        "A correct code always opens your report.",
        minutes,
    ) % {"minutes": minutes}


def _too_many(response: HttpResponse, wait: int) -> HttpResponse:
    response["Retry-After"] = str(wait)
    return response


def _portal_case(request: HttpRequest):
    case = selectors.case_in_portal(case_id=request.session.get(PORTAL_SESSION_KEY))
    if case is None:
        raise Http404
    return case


@sensitive_post_parameters()
def status_case(request: HttpRequest) -> HttpResponse:
    """The reporter's view: what they sent us, the status, the messages, and a reply box."""
    try:
        case = _portal_case(request)
    except Http404:
        return redirect("intake:status")
    audit_record(actor="public", action="case.portal_viewed", target=case)
    form = PortalReplyForm(request.POST or None)
    sent = False
    if request.method == "POST" and form.is_valid():
        services.portal_reply(case=case, body=form.cleaned_data["body"])
        form, sent = PortalReplyForm(), True
    context = {
        "case": case,
        "submission": selectors.portal_submission(case=case),
        "messages_": selectors.portal_messages(case=case),
        "form": form,
        "sent": sent,
    }
    return render(request, "intake/status_case.html", context)


@require_POST
def status_leave(request: HttpRequest) -> HttpResponse:
    request.session.flush()
    return redirect("intake:status")


# --- committee intake ------------------------------------------------------------------------


@sensitive_post_parameters()
def intake_new(request: HttpRequest) -> HttpResponse:
    """A member or event responder takes a report (in person, phone, DM, other) on a phone."""
    if not access.may_take_reports(request.user):
        raise Http404
    events = access.events_for_intake(request.user)
    handoff = committee_members().exclude(pk=request.user.pk)
    form = CommitteeIntakeForm(
        request.POST or None,
        request.FILES or None,
        events=events,
        handoff_members=handoff,
        initial={"event": selectors.responder_event(events=events)}
        if not access.is_committee_member(request.user)
        else None,
    )
    if request.method == "POST" and _valid_unless_unavailable(form):
        data = form.cleaned_data
        try:
            opened = services.committee_report_take(
                taker=request.user,
                report=form.report(),
                handoff_to=data["handoff_to"],
                immediate_action=data["immediate_action"],
                immediate_note=data["immediate_note"],
            )
        except ValidationError as exc:
            form.add_error("event", exc)
        except DatabaseError as exc:
            log.exception("a committee intake could not be stored")
            form.add_error(None, NOT_SAVED)
            if database_unavailable(exc):
                _without_lists(form)
        else:
            request.session[THANKS_SESSION_KEY] = {
                "reference": opened.case.reference,
                "code": opened.receipt_code,
            }
            # The dashboard offers "Someone may be in danger" on the reports taken on this device.
            taken = request.session.get(TAKEN_SESSION_KEY, [])[-9:]
            request.session[TAKEN_SESSION_KEY] = [*taken, opened.case.reference]
            return redirect("intake:filed")
    return render(request, "intake/intake_form.html", {"form": form})


def _valid_unless_unavailable(form: CommitteeIntakeForm) -> bool:
    """Validate; during a database outage refuse kindly, keeping everything typed (D2)."""
    try:
        return form.is_valid()
    except DatabaseError as exc:
        if not database_unavailable(exc):
            raise
        log.warning("a committee intake could not be checked: the database is unavailable")
        form.add_error(None, NOT_SAVED)
        _without_lists(form)
        return False


def _without_lists(form: CommitteeIntakeForm) -> None:
    """The choice lists cannot be read now: the page shows the form without their options."""
    for name in ("event", "handoff_to"):
        form.fields[name].queryset = form.fields[name].queryset.none()


def intake_filed(request: HttpRequest) -> HttpResponse:
    """The report is filed: its reference, the receipt code for an anonymous reporter (once), a link
    to the case for a member who may read it, and "Someone may be in danger" for the taker."""
    if not access.may_take_reports(request.user):
        raise Http404
    thanks = request.session.pop(THANKS_SESSION_KEY, None)
    if thanks:
        reference = thanks["reference"]
        thanks["can_read"] = case_selectors.case_visible(user=request.user, reference=reference) is not None
        thanks["can_raise"] = (
            case_selectors.case_for_safety(user=request.user, reference=reference) is not None
        )
    return render(request, "intake/intake_filed.html", {"thanks": thanks})


# --- events ------------------------------------------------------------------------------------


def events_list(request: HttpRequest) -> HttpResponse:
    if not access.may_manage_events(request.user):
        raise Http404
    form = EventForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        event = services.event_create(actor=request.user, **form.cleaned_data)
        return redirect("intake:event", event_id=event.pk)
    return render(request, "intake/events.html", {"events": Event.objects.all(), "form": form})


def event_detail(request: HttpRequest, event_id: int) -> HttpResponse:
    if not access.may_manage_events(request.user):
        raise Http404
    event = get_object_or_404(Event, pk=event_id)
    form = ResponderForm(request.POST or None)
    link = None
    if request.method == "POST" and form.is_valid():
        _member, link = services.event_responder_add(actor=request.user, event=event, **form.cleaned_data)
        form = ResponderForm()
    context = {
        "event": event,
        "form": form,
        "link": link,
        "base_url": settings.BASE_URL,
        "safety_form": EventSafetyForm(
            initial={
                "emergency_number": event.emergency_number,
                "venue_security": event.venue_security,
                "safety_contact": event.safety_contact,
            }
        ),
    }
    return render(request, "intake/event.html", context)


# --- who a case is about (D3): members taking part add and correct people on any case -------------


def _after_person_change(request: HttpRequest, case) -> HttpResponse:
    if not access.may_view_case(request.user, case):  # the member just named themselves
        messages.info(request, _("Thank you. You will not see this report any more."))
        return redirect("dashboard")
    messages.success(request, _("Saved. Members it names no longer see this report."))
    return redirect("intake:people", reference=case.reference)


@sensitive_post_parameters()
@with_case
def case_people(request: HttpRequest, case) -> HttpResponse:
    """The reported people and witnesses of a case, and a form to add one."""
    form = PersonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.case_person_add(case=case, by=request.user, person=form.person())
        except Refused as exc:
            refusal_to_form(form, exc)
        else:
            return _after_person_change(request, case)
    context = {
        "case": case,
        "people": case_selectors.case_people(case=case),
        "form": form,
        "lacks_reported_people": case_selectors.case_lacks_reported_people(case=case),
    }
    return render(request, "intake/people.html", context, status=400 if form.errors else 200)


@sensitive_post_parameters()
@with_case
def case_person(request: HttpRequest, case, party_id: int) -> HttpResponse:
    """Correct one reported person or witness."""
    party = get_object_or_404(case_selectors.case_people(case=case), pk=party_id)
    form = PersonForm(request.POST) if request.method == "POST" else PersonForm.for_party(party)
    if request.method == "POST" and form.is_valid():
        try:
            services.case_person_update(party=party, by=request.user, person=form.person())
        except Refused as exc:
            refusal_to_form(form, exc)
        else:
            return _after_person_change(request, case)
    context = {"case": case, "party": party, "form": form}
    return render(request, "intake/person.html", context, status=400 if form.errors else 200)


@require_POST
def event_safety(request: HttpRequest, event_id: int) -> HttpResponse:
    """The chair sets who to call at the event when someone is in danger."""
    if not access.may_manage_events(request.user):
        raise Http404
    event = get_object_or_404(Event, pk=event_id)
    form = EventSafetyForm(request.POST)
    if form.is_valid():
        services.event_safety_update(actor=request.user, event=event, **form.cleaned_data)
        messages.success(request, _("Saved. It is shown to anyone reporting danger at this event."))
        return redirect("intake:event", event_id=event.pk)
    context = {"event": event, "form": ResponderForm(), "safety_form": form, "base_url": settings.BASE_URL}
    return render(request, "intake/event.html", context, status=400)
