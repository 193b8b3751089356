"""An anonymous report leaves no name, contact or client address anywhere (intake issue)."""

import logging

import pytest
from django.apps import apps
from django.db import connection
from django.test import Client, TestCase

from cocdesk.intake import ratelimit
from tests.intake.test_web_report import named_report

NAME, EMAIL, PHONE, ADDR = "Quinn Quietly", "quinn.q@example.net", "+44 7700 900123", "198.51.100.213"


def every_stored_value() -> str:
    """Every column of every table, raw as the database holds it, plus decrypted model values."""
    chunks = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            chunks.extend(repr(row) for row in cursor.fetchall())
    for model in apps.get_models():
        chunks.extend(repr(obj.__dict__) for obj in model._base_manager.all())
    return "\n".join(chunks)


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["anonymous", "escrowed"])
def test_anonymous_submission_stores_no_name_contact_or_address(kind, alice, caplog):
    ratelimit.reset()
    data = named_report(
        kind=kind, your_name=NAME, your_email=EMAIL, your_phone=PHONE, other_contact="@quinnq"
    )
    caplog.set_level(logging.DEBUG)
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = Client().post("/report/", data, REMOTE_ADDR=ADDR, HTTP_X_FORWARDED_FOR=ADDR)
    assert response.status_code == 302
    stored = every_stored_value()
    assert "canary" in stored  # the search does see decrypted content
    for secret in (NAME, EMAIL, PHONE, "@quinnq", ADDR):
        assert secret not in stored, secret
        assert secret not in caplog.text, secret
