"""Object-level checks, by name (D1, D3; issue 4). The access matrix covers every URL; these
tests tell the same story for the cases people worry about most."""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models
from django.test import Client

from cocdesk.cases.models import Attachment, Case, DiscussionPost, Vote
from cocdesk.crypto import EncryptedJSONField, EncryptedTextField
from cocdesk.members.selectors import totp_current_code
from tests.access.test_access_matrix import CASE_ROUTES, case_routes
from tests.access.world import (
    KWARG_BUILDERS,
    build_world,
    crawl,
    response_leaks,
    snapshot,
)
from tests.factories import PASSWORD, device_of, event_factory, verified_client

pytestmark = pytest.mark.django_db

HIDDEN_FROM = ("conflicted", "party", "undeclared", "responder", "manager", "operator")


def test_member_with_conflict_cannot_see_discussion():
    world = build_world("deliberation")
    url = f"/cases/{world.case.reference}/"
    post = f"{world.canary} discussion post"
    assert post in world.client("participant").get(url).text  # it is there to be seen

    conflicted = world.client("conflicted")
    for path in (url, url + "discussion/", url + "export/", "/cases/", "/dashboard/", "/declarations/"):
        response = conflicted.get(path)
        assert world.canary not in response.text, path
    assert conflicted.get(url).status_code == 404
    before = DiscussionPost.objects.filter(case=world.case).count()
    assert conflicted.post(url + "discussion/", {"body": "may I read along?"}).status_code == 404
    assert DiscussionPost.objects.filter(case=world.case).count() == before

    # A participant who steps away loses the discussion with the very next request.
    participant = world.client("participant")
    assert participant.post(url + "recuse/", {"confirm": "on"}).status_code == 302
    response = participant.get(url)
    assert response.status_code == 404 and post not in response.text


def test_voting_on_a_case_you_cannot_see_is_not_found_and_changes_nothing():
    world = build_world("deliberation")
    proposal = world.open_proposal
    vote = f"/cases/{world.case.reference}/proposals/{proposal.pk}/vote/"
    before = snapshot(world.case)
    for role in HIDDEN_FROM:
        for choice in ("yes", "no", "abstain"):
            response = world.client(role).post(vote, {"choice": choice})
            assert response.status_code == 404, (role, choice)
            assert world.canary not in response.text
    assert snapshot(world.case) == before
    assert not Vote.objects.filter(proposal=proposal).exists()
    proposal.refresh_from_db()
    assert proposal.status == "open"

    # The same vote by a member taking part counts: the refusals above were about access only.
    assert world.client("participant").post(vote, {"choice": "yes"}).status_code == 302
    assert Vote.objects.filter(proposal=proposal, member=world.members["participant"]).exists()


@pytest.mark.slow
def test_uploading_or_commenting_on_a_hidden_case_changes_nothing():
    world = build_world("response")
    before = snapshot(world.case)
    files_before = sorted(default_storage.listdir("evidence")[1])
    posting_routes = [(r, s) for r, s in case_routes() if s.methods is None or "POST" in s.methods]
    assert {r.name for r, _ in posting_routes} >= {"cases:note_add", "cases:post", "cases:attachment"}
    for role in ("conflicted", "party", "responder", "manager", "operator"):
        client = world.client(role)
        for route, spec in posting_routes:
            if role in spec.allowed:
                continue  # the manager on the shared record, the conflicted member asking to rejoin
            path = route.path({name: KWARG_BUILDERS[name](world) for name in route.kwargs})
            data = {
                "text": "a comment on a case I cannot see",
                "body": "a comment on a case I cannot see",
                "evidence": SimpleUploadedFile("photo.txt", b"uploaded evidence", content_type="text/plain"),
                "file": SimpleUploadedFile("photo2.txt", b"uploaded evidence", content_type="text/plain"),
            }
            response = client.post(path, data)
            assert response.status_code == 404, (role, path, response.status_code)
    assert snapshot(world.case) == before
    assert sorted(default_storage.listdir("evidence")[1]) == files_before
    assert Attachment.objects.filter(case=world.case).count() == before["attachments"]


def _refers_to_a_case(model: type[models.Model]) -> bool:
    return model is Case or any(
        isinstance(f, models.ForeignKey) and f.related_model is Case for f in model._meta.get_fields()
    )


@pytest.mark.slow
def test_superuser_sees_no_case_content_in_the_admin():
    world = build_world("response", canary_in_parties=True)
    operator = world.members["operator"]

    # No model holding case data, or any encrypted text, is registered in the admin.
    for model in admin.site._registry:
        encrypted = [
            f.name for f in model._meta.get_fields() if isinstance(f, EncryptedTextField | EncryptedJSONField)
        ]
        assert not _refers_to_a_case(model) and not encrypted, model
        assert model._meta.app_label not in ("cases", "outbox", "audit", "escrow", "deadlines"), model

    # A real login: password and TOTP code.
    client = Client()
    response = client.post(
        "/login/",
        {"email": operator.email, "password": PASSWORD, "code": totp_current_code(device_of(operator))},
    )
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200

    pages = crawl(client, ["/admin/"], limit=300)
    assert len(pages) > 30 and any("/admin/members/member/" in p for p, _, _ in pages)
    for path, response, body in pages:
        assert response.status_code < 500, path
        assert not response_leaks(world.canary, response, body=body), path

    # Nor by guessing: the model pages and "view on site" for every case object answer 404.
    guesses = [
        "/admin/cases/",
        "/admin/cases/case/",
        "/admin/cases/case/1/change/",
        "/admin/outbox/outboxmessage/",
    ]
    guesses += [
        "/admin/audit/auditentry/",
        "/admin/escrow/escrowmatch/",
        "/admin/deadlines/reportertemplate/",
    ]
    for instance in (
        world.case,
        world.attachment,
        world.law_record,
        world.message,
        world.post,
        world.open_proposal,
    ):
        content_type = ContentType.objects.get_for_model(instance)
        guesses.append(f"/admin/r/{content_type.pk}/{instance.pk}/")
        guesses.append(f"/admin/{content_type.app_label}/{content_type.model}/{instance.pk}/change/")
    for path in guesses:
        response = client.get(path)
        assert response.status_code == 404, (path, response.status_code)
        assert not response_leaks(world.canary, response), path
    # And outside the admin, nothing either (the access matrix tries every case URL).
    assert client.get(f"/cases/{world.case.reference}/").status_code == 404


def test_event_responder_sees_their_report_only_until_they_submit(chair, responder):
    event = event_factory(starts_on=date(2026, 12, 1), ends_on=date(2026, 12, 3))
    event.responders.add(responder)
    client = verified_client(responder)
    canary = "CANARY-responder-2f7c91 they followed me to the hotel"
    report = {
        "channel": "in_person",
        "kind": "named",
        "event": str(event.pk),
        "reporter_name": "Robin Reporter",
        "reporter_phone": "+1 555 0100",
        "preferred_contact": "phone",
        "wants_updates": "yes",
        "reporter_location": f"{canary} (volunteer desk)",
        "reporter_clothing": "green raincoat",
        "what_happened": canary,
        "reported_1_name": "Jamie Doe",
        "checklist": ["calm", "thanked"],
    }

    # Until they submit, the form keeps what they typed (nothing is thrown away)...
    assert client.get("/intake/new/").status_code == 200
    refused = client.post("/intake/new/", {**report, "what_happened": ""})
    assert refused.status_code == 200 and canary in refused.text
    assert not Case.objects.exists()

    # ...then it is filed, and they are told the reference once.
    filed = client.post("/intake/new/", report, follow=True)
    case = Case.objects.get()
    assert case.description == canary and case.event == event
    assert filed.status_code == 200 and case.reference in filed.text and canary not in filed.text

    # Afterwards: nothing of the case, anywhere they can go.
    for path in (f"/cases/{case.reference}/", f"/cases/{case.reference}/export/", "/cases/", "/shared/"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert canary not in response.text
    for path, response, body in crawl(client, ["/dashboard/", "/intake/new/", "/intake/filed/"]):
        assert not response_leaks(canary, response, body=body), path
        assert not response_leaks(case.reference, response, body=body), path
    # The committee has it: a chair who declares no conflict reads it.
    chair_client = verified_client(chair)
    chair_client.post(f"/cases/{case.reference}/declare/", {"answer": "no_conflict"})
    assert canary in chair_client.get(f"/cases/{case.reference}/").text


def test_a_child_object_of_another_case_is_not_found_through_a_case_you_can_see():
    """Object-level: a proposal, attachment, record or member id of another case, put in the address
    of a case the member takes part in, is not found (and nothing changes on either case)."""
    mine, other = build_world("deliberation"), build_world("deliberation")
    client = mine.client("participant")
    # A report's year is not a child object of a case (the transparency check is in the matrix).
    child_routes = [(r, s) for r, s in case_routes() if set(r.kwargs) - {"reference", "year"}]
    assert {r.name for r, _ in child_routes} >= {"cases:vote", "cases:attachment", "cases:rejoin_agree"}
    before = snapshot(mine.case), snapshot(other.case)
    for route, spec in child_routes:
        if (
            "reference" not in route.kwargs
            or route.name not in CASE_ROUTES
            or "participant" not in spec.allowed
        ):
            continue
        kwargs = {name: KWARG_BUILDERS[name](other) for name in route.kwargs}
        if "reference" in kwargs:
            kwargs["reference"] = mine.case.reference
        path = route.path(kwargs)
        for method in sorted(spec.methods):
            response = client.get(path) if method == "GET" else client.post(path, spec.payload(mine, None))
            assert response.status_code == 404, (method, path, response.status_code)
            assert other.canary not in response.content.decode(errors="replace")
    assert (snapshot(mine.case), snapshot(other.case)) == before
