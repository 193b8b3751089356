"""One case from report to closure through the HTTP interface, as three members, one conflicted."""

import pytest
from django.test import Client, TestCase

from cocdesk.cases.models import Case, TimelineKind
from cocdesk.intake import ratelimit
from cocdesk.members.selectors import totp_current_code
from tests.factories import device_of, member_factory, verified_client

pytestmark = pytest.mark.django_db

STORY = "canary-scenario he kept messaging me after I asked him to stop"


def post(client, url, data=None):
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(url, data or {})
    assert response.status_code in (200, 302), (url, response.status_code, response.content[:2000])
    return response


def test_a_case_from_report_to_closure(alice, bob):
    ratelimit.reset()
    jamie = member_factory(name="Jamie Doe", email="jamie@example.com")  # a member who is reported
    ana, ben, jam = verified_client(alice), verified_client(bob), verified_client(jamie)

    # A reporter uses the public form.
    post(
        Client(),
        "/report/",
        {
            "kind": "named",
            "your_name": "Robin Reporter",
            "your_email": "robin@example.net",
            "preferred_contact": "email",
            "wants_updates": "yes",
            "what_happened": STORY,
            "reported_1_name": "Jamie Doe",
            "reported_1_email": "jamie@example.com",
        },
    )
    case = Case.objects.get()
    url = f"/cases/{case.reference}/"

    # Jamie is a party: nothing at all. Alice and Bob are asked to declare.
    assert jam.get(url).status_code == 404 and case.reference not in jam.get("/dashboard/").text
    assert STORY not in ana.get(url).text
    post(ana, url + "declare/", {"answer": "no_conflict"})
    post(ben, url + "declare/", {"answer": "no_conflict"})
    assert STORY in ana.get(url).text

    post(ana, url + "owners/", {"primary": alice.pk, "secondary": bob.pk})
    post(ana, url + "discussion/", {"body": "I can take the first conversation."})
    post(
        ana, url + "proposals/", {"kind": "violation", "text": "Repeated unwanted messages violate the CoC."}
    )
    proposal = case.proposals.get()
    post(ana, url + f"proposals/{proposal.pk}/vote/", {"choice": "yes"})
    post(ben, url + f"proposals/{proposal.pk}/vote/", {"choice": "yes"})
    post(ben, url + "proposals/", {"kind": "plan", "text": "No further messages to the reporter."})
    plan = case.proposals.get(kind="plan")
    post(ana, url + f"proposals/{plan.pk}/vote/", {"choice": "yes"})
    post(ben, url + f"proposals/{plan.pk}/vote/", {"choice": "yes"})
    post(
        ana,
        url + "conversations/new/",
        {
            "held_on": "2026-11-20",
            "members": [alice.pk, bob.pk],
            "behavior": "You kept messaging",
            "impact": "They felt unsafe",
            "plan": "No further messages",
            "plan_accepted": "yes",
            "apology_offered": "on",
            "apology_relayed": "no",
            "apology_reason": "Not genuine",
        },
    )
    post(ana, url + "state/", {"to": "follow_up"})
    post(ana, url + "follow-ups/", {"text": "Told the reporter what was decided."})
    post(ana, url + "state/", {"to": "closed", "resolution": "resolved_with_action"})

    case.refresh_from_db()
    assert (case.state, case.resolution) == ("closed", "resolved_with_action")
    story = [(e.kind, e.text) for e in case.timeline.all()]
    kinds = [k for k, _ in story]
    expected = [
        TimelineKind.INTAKE,
        TimelineKind.STATE,
        TimelineKind.OWNERS,
        TimelineKind.DECISION,
        TimelineKind.STATE,
        TimelineKind.DECISION,
        TimelineKind.DECISION,
        TimelineKind.DECISION,
        TimelineKind.CONVERSATION,
        TimelineKind.STATE,
        TimelineKind.STATE,
        TimelineKind.FOLLOW_UP,
        TimelineKind.STATE,
    ]
    assert kinds == expected, story
    assert "passed, with 2 yes, 0 no and 0 abstaining, of 2 members taking part" in story[5][1]
    assert story[-1][1].endswith("(Resolved with action)")

    # The Markdown export needs a fresh code, then tells the whole story.
    assert "Confirm it is you" in ana.get(url + "export/").text
    post(ana, url + "export/", {"code": totp_current_code(device_of(alice))})
    export = ana.get(url + "export/")
    assert export["Content-Disposition"] == f'attachment; filename="{case.reference}.md"'
    assert STORY in export.text and "No further messages" in export.text

    # Still nothing for the conflicted member, anywhere.
    for path in (url, url + "export/", "/cases/", "/dashboard/"):
        assert STORY not in jam.get(path).text
