"""References reveal no count (D2, issue 10): `CoC-2026-7KQ3`, random from an unambiguous alphabet,
unique. A reference in an email's subject threads nothing (issue 16): replies find their case by
its reply token or our own Message-IDs (tests/intake/test_email_threading.py)."""

import re

import pytest
from django.apps import apps

from cocdesk.cases.models import Case
from cocdesk.cases.services import opening
from tests.factories import case_factory
from tests.intake.test_email_ingest import ingest, make_email

pytestmark = pytest.mark.django_db

RANDOM_REFERENCE = re.compile(r"CoC-\d{4}-[23456789BCDFGHJKMNPQRSTVWXYZ]{4}")


def test_consecutive_reports_get_references_that_reveal_no_count():
    """The attack: a member who sees CoC-2026-0006 and then -0008 learns that -0007 exists and is
    hidden from them."""
    references = [case_factory().reference for _ in range(12)]
    assert all(RANDOM_REFERENCE.fullmatch(ref) for ref in references), references
    assert len(set(references)) == 12
    numbers = [ref.rsplit("-", 1)[1] for ref in references]
    assert not all(n.isdigit() for n in numbers)
    assert not apps.all_models["cases"].get("casecounter")  # no counter row to read a count from


def test_a_reference_already_taken_is_drawn_again(monkeypatch):
    first = case_factory()
    drawn = iter([first.reference.rsplit("-", 1)[1], first.reference.rsplit("-", 1)[1], "7KQ3"])
    monkeypatch.setattr(opening, "_reference_code", lambda length: next(drawn))
    second = case_factory()
    assert second.reference.endswith("-7KQ3") and second.reference != first.reference


def test_no_reference_in_a_subject_threads_a_reply_new_or_old(tmp_path):
    _, (new_style,), _ = ingest(tmp_path, make_email())
    old = case_factory()
    Case.objects.filter(pk=old.pk).update(reference="CoC-2025-0042")
    reply_new = make_email(subject=f"Re: [{new_style.lower()}] your report", message_id="<r1@x>", body="one")
    reply_old = make_email(subject="Re: [CoC-2025-0042] your report", message_id="<r2@x>", body="two")
    assert ingest(tmp_path, reply_new)[1] != [new_style]
    assert ingest(tmp_path, reply_old)[1] != ["CoC-2025-0042"]
    assert not Case.objects.get(reference=new_style).messages.filter(direction="from_reporter").exists()
