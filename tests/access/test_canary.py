"""The canary test (D3, D9, D12; issue 4).

One rich case carries a unique canary string in every text field, attachment and discussion message.
A conflicted member, a member who is a party to the case, the event responder who filed it, the site
operator and an anonymous visitor then take everything they can reach: every link and GET form from
their start pages, every case URL of the resolver, the exports, search. The canary must show in no
response (body, raw bytes, headers), no email sent during the whole test, no log line, and no
audit entry; the party must not even learn the case's reference.
"""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.urls import NoReverseMatch, reverse

from cocdesk import clock
from cocdesk.audit.models import AuditEntry
from cocdesk.members.selectors import totp_current_code
from cocdesk.outbox.models import OutboxMessage
from cocdesk.outbox.services import outbox_send
from tests.access.test_access_matrix import OTHER_ROUTES, classify
from tests.access.world import (
    LogCatcher,
    _echo_forms,
    body_of,
    build_world,
    case_kwargs,
    crawl,
    email_leaks,
    leaks,
    response_leaks,
    search_differences,
    site_routes,
)
from tests.factories import device_of
from tests.mailbox import delivered

pytestmark = pytest.mark.django_db

START_PAGES = {
    "conflicted": ["/dashboard/", "/cases/", "/declarations/", "/catalog/", "/intake/new/", "/escrow/"],
    "party": ["/dashboard/", "/cases/", "/declarations/", "/catalog/", "/intake/new/", "/escrow/"],
    # Named in the report only by name, or partly (first name in the description): issue 10.
    "named": ["/dashboard/", "/cases/", "/declarations/", "/identities/", "/intake/new/", "/escrow/"],
    "possible": ["/dashboard/", "/cases/", "/declarations/", "/identities/", "/intake/new/", "/escrow/"],
    "responder": ["/dashboard/", "/intake/new/", "/cases/"],
    "operator": ["/admin/", "/dashboard/", "/cases/"],
    "anonymous": ["/", "/report/", "/report/status/", "/login/", "/dashboard/", "/cases/"],
}
MUST_NOT_LEARN_THE_REFERENCE = ("party", "named", "possible", "responder")


def _reachable(world, role: str) -> list[tuple[str, object, bytes]]:
    """Everything `role` can obtain: a crawl, every case URL (GET and an empty POST), exports."""
    client = world.client(role)
    member = world.members.get(role)
    starts = list(START_PAGES[role])
    if role in ("conflicted", "party", "named", "possible") and _exists("deadlines:calendar_new"):
        # A calendar feed lists deadlines without a login: make one, and follow its address too.
        page = client.post(reverse("deadlines:calendar_new")).content.decode()
        feeds = [urlsplit(url).path for url in re.findall(r"https?://testserver/[^\s<\"']+\.ics", page)]
        assert feeds, "the calendar page shows no feed address"
        starts += [*feeds, reverse("deadlines:calendar")]
    if member is not None:
        # Step-up is open to every member: after it, the exports must still leave the case out.
        client.post("/cases/export.csv", {"code": totp_current_code(device_of(member))})
        starts += ["/cases/export.csv"]
    pages = crawl(client, starts, limit=300)
    for route in site_routes():
        kind = classify(route)
        if kind == "case" or (kind == "unclassified" and case_kwargs(route, world) is not None):
            path = route.path(case_kwargs(route, world))
        elif kind == "other":
            path = route.path(OTHER_ROUTES[route.name](world))
        else:
            continue
        for response in (client.get(path), client.post(path)):
            pages.append((path, response, body_of(response)))
    return pages


def _exists(name: str) -> bool:
    try:
        reverse(name)
    except NoReverseMatch:
        return False
    return True


@pytest.mark.slow
def test_the_canary_never_reaches_a_conflicted_member_the_operator_or_an_outsider(
    django_capture_on_commit_callbacks,
):
    failures: list[str] = []
    with LogCatcher() as logs, django_capture_on_commit_callbacks(execute=True):
        world = build_world("follow_up", canary_in_parties=True)
        canary, reference = world.canary, world.case.reference
        # The case is real and rich: the members taking part read the canary in it.
        participant_page = world.client("participant").get(f"/cases/{reference}/")
        assert participant_page.status_code == 200
        for text in (
            "description",
            "discussion post",
            "violation proposal",
            "custom consequence",
            "behavior",
        ):
            assert f"{canary} {text}" in participant_page.text, text
        assert f"evidence-{canary}.txt" in participant_page.text

        visited = 0
        typed = (canary[:20], canary[7:23], world.reported_name, world.reporter_email)
        for role in START_PAGES:
            pages = _reachable(world, role)
            visited += len(pages)
            for path, response, body in pages:
                if response.status_code >= 500 or response.exc_info is not None:
                    failures.append(f"{role} {path}: server error {response.status_code}")
                where = response_leaks(canary, response, body=body)
                if where:
                    failures.append(f"{role} {path}: the canary shows in the {', '.join(where)}")
                if role in MUST_NOT_LEARN_THE_REFERENCE and response_leaks(reference, response, body=body):
                    failures.append(f"{role} {path}: the case reference shows")
            # Search: by a fragment of the canary, by the reported person's full name (which holds
            # the canary, so the page echoes it in the search box: it must otherwise be the page
            # of a search that finds nothing).
            client = world.client(role)
            for query in typed:
                difference = search_differences(client, "/cases/", "q", query)
                if difference:
                    failures.append(f"{role} searched /cases/ for {query!r}: {difference}")
            fragment = client.get("/cases/", {"q": canary[:20]})
            if response_leaks(canary, fragment):
                failures.append(f"{role} searched for a fragment: the canary shows")
        assert visited > 150, visited  # the crawl really went somewhere

        # Everything queued so far is sent, then time runs on past every deadline (D5):
        # reminders and notices go out, and none may carry the canary either.
        outbox_send()
        call_command("tick", now=(clock.now() + timedelta(days=8, hours=1)).isoformat())
        outbox_send()

    assert delivered(), "no email at all: the notices should have gone out"
    failures += email_leaks(canary, skip_recipient=world.reporter_email)
    never_told = [world.members[role].email for role in MUST_NOT_LEARN_THE_REFERENCE]
    for message in delivered():
        to_party = any(address in message.to for address in never_told)
        if to_party and (reference in message.subject or reference in message.body):
            failures.append(f"an email to {message.to} names the case: {message.subject!r}")
    for queued in OutboxMessage.objects.filter(recipient_member__isnull=False):
        if leaks(canary, queued.subject + queued.body):
            failures.append(f"a queued email to a member holds the canary: {queued.subject!r}")
    # A log line may hold what a visitor typed into the search box (their own input), nothing else.
    # (Only whole typed queries that hold the canary are blanked: a fragment would hide real leaks.)
    echoed = [query for query in typed if canary in query]
    assert len(echoed) == 2, echoed
    for line in logs.lines():
        for query in echoed:
            for echo, _neutral in _echo_forms(query, query):
                line = line.replace(echo.decode(), "<typed>")
        if leaks(canary, line):
            failures.append(f"log line: {line[:300]}")
    assert logs.records, "no log record at all was captured (404s are logged)"
    for entry in AuditEntry.objects.all():
        if leaks(canary, f"{entry.actor} {entry.action} {entry.object_type} {entry.object_id}"):
            failures.append(f"audit entry {entry.seq} holds the canary")
    assert not failures, f"{len(failures)} leaks:\n" + "\n".join(failures[:80])


def test_logs_hold_no_case_text_even_at_debug_level():
    world = build_world("follow_up", canary_in_parties=True)
    reference = world.case.reference
    with LogCatcher() as logs:
        for role in ("undeclared", "participant"):  # the prompt and the case file render case text
            assert world.client(role).get(f"/cases/{reference}/").status_code == 200
        world.client("participant").get(f"/cases/{reference}/conversations/new/")
    leaked = [line[:300] for line in logs.lines() if leaks(world.canary, line)]
    assert not leaked, leaked


def test_members_named_only_by_name_or_partly_see_what_any_other_party_sees():
    """Counts and lists included: a member the report names only by name, or holds because their
    first name is in it, sees exactly the pages of a member who is a party by their address (their
    own name and address aside) - nothing tells them a report about them exists (issue 10)."""
    world = build_world("follow_up")
    csrf = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]*"')
    paths = ["/dashboard/", "/cases/", "/declarations/", "/escrow/", "/identities/", "/catalog/"]

    def seen(role: str) -> dict[str, bytes]:
        member, client = world.members[role], world.client(role)
        pages = {}
        for path in paths:
            body = csrf.sub(b"", body_of(client.get(path)))
            pages[path] = body.replace(member.name.encode(), b"NAME").replace(member.email.encode(), b"EMAIL")
        return pages

    party = seen("party")
    assert world.case.reference.encode() not in b"".join(party.values())
    for role in ("named", "possible"):
        assert seen(role) == party, role
