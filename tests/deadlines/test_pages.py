"""Deadlines pages: writing to the reporter, templates, dashboard, search, check-ins, calendar feed.

alice takes part in the case, bob declared a conflict, carol has not declared yet.
"""

import html
import re
from datetime import timedelta

import pytest
from django.test import Client, TestCase

from cocdesk import clock
from cocdesk.audit.models import AuditEntry
from cocdesk.cases.models import Case, Message, MessageKind, TimelineKind
from cocdesk.cases.services import conflict_declare
from cocdesk.deadlines import services
from cocdesk.deadlines.models import CalendarToken, CheckIn, ReporterTemplate
from cocdesk.deadlines.selectors import reporter_templates
from cocdesk.errors import Refused
from cocdesk.intake import ratelimit
from cocdesk.transparency.models import TransparencyReport
from tests.factories import CASE_CANARY, case_factory, verified_client
from tests.mailbox import delivered, forget_delivered

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(alice, bob, carol):
    with clock.frozen(clock.now() - timedelta(hours=25)), TestCase.captureOnCommitCallbacks(execute=True):
        case = case_factory(participants=(alice,))
    conflict_declare(case=case, member=bob, has_conflict=True)
    forget_delivered()
    return case


def compose_url(case):
    return f"/cases/{case.reference}/messages/new/"


def post(client, url, data):
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(url, data)


# --- writing to the reporter ------------------------------------------------------------------


def test_the_compose_page_starts_from_the_acknowledgement_template(case, alice):
    page = verified_client(alice).get(compose_url(case))
    assert page.status_code == 200
    assert "Thank you for telling us. I am Alice Member" in page.text
    assert case.reference in page.text
    update = verified_client(alice).get(compose_url(case) + "?template=update").text
    assert "This is an update on your report" in update


@pytest.mark.parametrize("who", ["bob", "carol"])
def test_members_who_may_not_see_the_case_get_404_and_send_nothing(case, who, request):
    client = verified_client(request.getfixturevalue(who))
    assert client.get(compose_url(case)).status_code == 404
    data = {"kind": "decision", "subject": "s", "body": "leak"}
    assert post(client, compose_url(case), data).status_code == 404
    for suffix in ("deadlines/", "search/start/"):
        assert client.post(f"/cases/{case.reference}/{suffix}").status_code in (404, 405)
    assert not Message.objects.filter(case=case, kind=MessageKind.DECISION).exists()
    assert delivered() == []


def preview_then_send(client, case, data):
    """What a member does: Preview, then "Send to the reporter" on the preview page."""
    preview = post(client, compose_url(case), {**data, "action": "preview"})
    assert preview.status_code == 200, preview.text
    assert "Check your message before it goes" in preview.text, preview.text
    token = re.search(r'name="previewed" value="([0-9a-f]+)"', preview.text).group(1)
    return post(client, compose_url(case), {**data, "action": "send", "previewed": token, "confirm": "on"})


def checked_kind(page: str) -> str:
    return re.search(r'name="kind" value="(\w+)"[^>]*checked', page).group(1)


def test_a_message_to_a_named_reporter_is_emailed_kept_and_on_the_timeline(case, alice):
    data = {"kind": "acknowledgement", "subject": "We have your report", "body": "Thank you, from Alice."}
    response = preview_then_send(verified_client(alice), case, data)
    assert response.status_code == 302
    [sent] = delivered()
    assert sent.to == ["robin@example.net"]
    assert sent.subject == f"[{case.reference}] We have your report"
    assert sent.body == "Thank you, from Alice."
    message = Message.objects.get(case=case, kind=MessageKind.ACKNOWLEDGEMENT)
    assert (message.author, message.emailed, message.body) == (alice, True, "Thank you, from Alice.")
    entry = case.timeline.get(kind=TimelineKind.MESSAGE_OUT)
    assert "Thank you, from Alice." in entry.text and entry.author == alice
    assert AuditEntry.objects.filter(
        action="case.message_sent.acknowledgement", actor=f"member:{alice.pk}"
    ).exists()


def test_the_preview_shows_exactly_the_email_and_the_portal_message_and_names_the_channel(case, alice):
    data = {"kind": "decision", "subject": "What we decided", "body": "We spoke with them.\nThey agreed."}
    page = post(verified_client(alice), compose_url(case), {**data, "action": "preview"}).text
    assert "By email to <strong>ro•••@example.net</strong>" in page  # shortened until step-up
    assert f"[{case.reference}] What we decided" in page
    assert "<pre>We spoke with them.\nThey agreed.</pre>" in page  # the email body, as sent
    assert "On their receipt-code page" in page and "We spoke with them.<br>They agreed." in page
    assert "counts as telling the reporter the committee's decision" in page
    assert delivered() == [] and not Message.objects.filter(case=case, kind="decision").exists()


def test_an_unreplaced_placeholder_is_refused_and_the_text_is_kept(case, alice):
    client = verified_client(alice)
    template = client.get(compose_url(case) + "?template=decision").text
    assert checked_kind(template) == "decision"  # the template sets the kind of message
    body = html.unescape(template.split('name="body"')[1].split(">", 1)[1].split("</textarea>")[0]).strip()
    assert "[What the committee decided" in body
    data = {"kind": "decision", "subject": "What the committee decided", "body": body}
    for action in ("preview", "send"):
        page = post(client, compose_url(case), {**data, "action": action, "previewed": "x"})
        assert page.status_code == 200
        assert "Please replace the parts in square brackets before sending" in page.text
        assert "[What the committee decided" in page.text  # named in the error, and still in the box
    with pytest.raises(Refused, match="square brackets"):
        services.reporter_message_send(case=case, author=alice, kind="decision", subject="s", body=body)
    assert delivered() == [] and not Message.objects.filter(case=case, kind="decision").exists()


@pytest.mark.parametrize("subject", ["Hello\nBcc: everyone@example.com", "Hello\rthere", "Hi\u2028there"])
def test_a_subject_with_a_line_break_is_refused_with_a_form_error_not_sent(case, alice, subject):
    client = verified_client(alice)
    data = {"kind": "update", "subject": subject, "body": "An update."}
    for action in ("preview", "send"):
        page = post(client, compose_url(case), {**data, "action": action, "previewed": "x"})
        assert page.status_code == 200
        assert "The subject must be one line" in page.text
        assert "on its way" not in page.text
    with pytest.raises(Refused, match="one line"):
        services.reporter_message_send(case=case, author=alice, kind="update", subject=subject, body="x")
    assert delivered() == [] and not Message.objects.filter(case=case, kind="update").exists()


def test_a_template_subject_with_a_line_break_is_refused(alice, chair):
    client = verified_client(chair)
    page = post(client, "/deadlines/templates/delay/", {"subject": "Still\nworking", "body": "Thanks"})
    assert page.status_code == 200 and "The subject must be one line" in page.text
    assert not ReporterTemplate.objects.filter(subject__contains="Still").exists()


def test_sending_needs_the_preview_of_exactly_that_text(case, alice):
    client = verified_client(alice)
    data = {"kind": "update", "subject": "An update", "body": "What we previewed."}
    preview = post(client, compose_url(case), {**data, "action": "preview"}).text
    token = re.search(r'name="previewed" value="([0-9a-f]+)"', preview).group(1)
    changed = {**data, "body": "Something else.", "action": "send", "previewed": token}
    page = post(client, compose_url(case), changed)
    assert page.status_code == 200 and "Check your message before it goes" in page.text
    assert delivered() == [] and not Message.objects.filter(case=case, kind="update").exists()


def test_sending_without_ticking_the_confirmation_sends_nothing(case, alice):
    client = verified_client(alice)
    data = {"kind": "update", "subject": "An update", "body": "What we previewed."}
    preview = post(client, compose_url(case), {**data, "action": "preview"}).text
    assert "What will happen" in preview and "Who will be told" in preview
    assert "The reporter, by email to ro•••@example.net." in preview
    token = re.search(r'name="previewed" value="([0-9a-f]+)"', preview).group(1)
    page = post(client, compose_url(case), {**data, "action": "send", "previewed": token})
    assert page.status_code == 400 and "Nothing has been done yet" in page.text
    assert delivered() == [] and not Message.objects.filter(case=case, kind="update").exists()


def test_choosing_a_template_keeps_typed_text_until_the_member_says_replace(case, alice):
    client = verified_client(alice)
    typed = {"kind": "decision", "subject": "Hello", "body": "canary-typed I wrote this myself."}
    asked = post(client, compose_url(case), {**typed, "action": "template"}).text
    assert "Replace it with the “Decision and actions” template?" in asked
    assert not re.search(r'id="compose-ask"[^>]*hidden>', asked)
    assert "canary-typed I wrote this myself." in asked and checked_kind(asked) == "decision"
    kept = post(client, compose_url(case), {**typed, "action": "keep"}).text
    assert "canary-typed I wrote this myself." in kept and checked_kind(kept) == "decision"
    assert re.search(r'id="compose-ask"[^>]*hidden>', kept)  # asked once: no question any more
    replaced = post(client, compose_url(case), {**typed, "action": "replace"}).text
    assert "canary-typed" not in replaced and "[What the committee decided" in replaced
    empty = {"kind": "update", "subject": "", "body": "", "action": "template"}
    fresh = post(client, compose_url(case), empty).text
    assert "This is an update on your report" in fresh and checked_kind(fresh) == "update"


def test_a_reporter_we_cannot_write_to_is_told_by_phone_and_the_member_records_it(alice):
    case = case_factory(participants=(alice,), reporter_email="", with_receipt=False, channel="phone")
    forget_delivered()  # the members' notices of the new report
    client = verified_client(alice)
    page = client.get(compose_url(case)).text
    assert "We cannot write to this reporter" in page and "Told them by phone or in person?" in page
    with pytest.raises(Refused, match="no way to write"):
        services.reporter_message_send(case=case, author=alice, kind="update", subject="s", body="b")
    told = post(
        client,
        f"/cases/{case.reference}/messages/told/",
        {"kind": "acknowledgement", "how": "phone", "text": "Called Robin; they are safe at home."},
    )
    assert told.status_code == 302
    message = Message.objects.get(case=case, told="phone")
    assert (message.kind, message.author, message.emailed) == ("acknowledgement", alice, False)
    assert "told the reporter by phone" in case.timeline.get(kind=TimelineKind.MESSAGE_OUT).text
    assert delivered() == []


def test_an_anonymous_reporter_reads_the_message_in_the_portal_and_the_email_says_only_that_there_is_one(
    alice,
):
    with TestCase.captureOnCommitCallbacks(execute=True):
        case = case_factory(participants=(alice,), kind="anonymous", notify_email="ping@example.net")
    forget_delivered()
    data = {"kind": "update", "subject": "An update", "body": "canary-portal-3e1 we spoke to them"}
    assert preview_then_send(verified_client(alice), case, data).status_code == 302
    [ping] = delivered()
    assert ping.to == ["ping@example.net"] and "canary-portal-3e1" not in ping.subject + ping.body
    ratelimit.reset()
    portal = Client().post("/report/status/", {"code": case.receipt_code}, follow=True)
    assert "canary-portal-3e1" in portal.text


# --- templates ---------------------------------------------------------------------------------


def test_four_templates_come_in_the_plans_tone_and_members_can_edit_them(alice):
    seeded = {t.kind: t.body for t in reporter_templates()}
    assert set(seeded) == {"acknowledgement", "update", "decision", "delay"}
    assert "Thank you for telling us" in seeded["acknowledgement"]
    for body in seeded.values():
        assert "we will make sure" not in body.lower() and "will be removed" not in body.lower()
    client = verified_client(alice)
    assert "Delay notice" in client.get("/deadlines/templates/").text
    response = client.post(
        "/deadlines/templates/delay/", {"subject": "Still working", "body": "Thank you. {reference}"}
    )
    assert response.status_code == 302
    template = ReporterTemplate.objects.get(kind="delay")
    assert (template.subject, template.updated_by) == ("Still working", alice)
    assert AuditEntry.objects.filter(action="template.updated").exists()


def test_templates_are_for_committee_members_only(responder):
    assert verified_client(responder).get("/deadlines/templates/").status_code == 404


# --- dashboard ---------------------------------------------------------------------------------


# --- search ------------------------------------------------------------------------------------


def test_starting_and_ending_a_search_from_the_case_deadlines_page(case, alice):
    client = verified_client(alice)
    assert client.post(f"/cases/{case.reference}/search/start/").status_code == 302
    case.refresh_from_db()
    assert case.search_started_at is not None
    page = client.get(f"/cases/{case.reference}/deadlines/").text
    assert "Daily update while the reported person is searched for" in page
    client.post(f"/cases/{case.reference}/search/end/")
    case.refresh_from_db()
    assert case.search_ended_at is not None
    assert AuditEntry.objects.filter(action__in=["case.search_started", "case.search_ended"]).count() == 2
    assert case.timeline.filter(kind=TimelineKind.SEARCH).count() == 2


# --- check-ins and the chair -------------------------------------------------------------------


def test_member_answers_the_check_in_and_the_chair_sees_who_has_not(alice, bob, chair):
    CheckIn.objects.create(member=alice, due_at=clock.now(), asked_at=clock.now())
    CheckIn.objects.create(member=bob, due_at=clock.now(), asked_at=clock.now())
    assert verified_client(alice).post("/check-in/", {"answer": "continue"}).status_code == 302
    assert CheckIn.objects.get(member=alice).answer == "continue"
    overview = verified_client(chair).get("/check-ins/").text
    bob_row = overview.split("Bob Member")[1].split("</tr>")[0]
    alice_row = overview.split("Alice Member")[1].split("</tr>")[0]
    assert "not answered yet" in bob_row and "not answered yet" not in alice_row
    assert verified_client(alice).get("/check-ins/").status_code == 404


def test_the_chair_records_a_transparency_report_published_elsewhere(chair):
    client = verified_client(chair)
    assert "/transparency/" in client.get("/check-ins/").text  # one place for transparency
    assert client.post("/transparency/published-elsewhere/", {"year": "2026"}).status_code == 302
    assert TransparencyReport.objects.get().year == 2026
    assert client.post("/transparency/published-elsewhere/", {"year": "2026"}).status_code == 400


# --- calendar feed -----------------------------------------------------------------------------


def feed_url_of(response) -> str:
    return response.text.split('<p class="secret"><code>')[1].split("</code>")[0]


def test_calendar_feed_lists_only_the_members_cases_by_reference_without_a_login(case, alice, bob):
    hidden = case_factory(participants=(bob,))  # alice has not declared on it
    response = verified_client(alice).post("/deadlines/calendar/new/")
    url = feed_url_of(response)
    token = url.rsplit("/", 1)[1].removesuffix(".ics")
    assert token not in str(list(CalendarToken.objects.values()))  # stored as a keyed hash only

    feed = Client().get(url.replace("http://testserver", ""))
    assert feed.status_code == 200 and feed["Content-Type"].startswith("text/calendar")
    text = feed.content.decode()
    assert text.startswith("BEGIN:VCALENDAR\r\n") and text.endswith("END:VCALENDAR\r\n")
    assert f"SUMMARY:{case.reference}: Acknowledge the report within 24 hours" in text
    assert hidden.reference not in text
    assert CASE_CANARY not in text and "Jamie" not in text
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))

    bob_url = feed_url_of(verified_client(bob).post("/deadlines/calendar/new/"))
    assert case.reference not in Client().get(bob_url.replace("http://testserver", "")).content.decode()


def test_a_revoked_or_replaced_calendar_address_stops_working(alice):
    client = verified_client(alice)
    first = feed_url_of(client.post("/deadlines/calendar/new/")).replace("http://testserver", "")
    second = feed_url_of(client.post("/deadlines/calendar/new/")).replace("http://testserver", "")
    assert Client().get(first).status_code == 404
    assert Client().get(second).status_code == 200
    client.post("/deadlines/calendar/revoke/")
    assert Client().get(second).status_code == 404
    assert Client().get("/calendar/not-a-token.ics").status_code == 404


def test_a_disabled_members_feed_stops_working(alice):
    token = services.calendar_token_new(member=alice)
    alice.is_active = False
    alice.save()
    assert Client().get(f"/calendar/{token}.ics").status_code == 404


def test_a_case_expunged_or_closed_leaves_the_feed(case, alice):
    token = services.calendar_token_new(member=alice)
    assert case.reference in Client().get(f"/calendar/{token}.ics").content.decode()
    Case.objects.filter(pk=case.pk).update(state="closed")
    assert case.reference not in Client().get(f"/calendar/{token}.ics").content.decode()
