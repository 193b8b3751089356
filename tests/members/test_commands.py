"""`cocdesk demo` and `cocdesk totp` (foundation issue)."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from cocdesk.cases.models import Case
from cocdesk.members.models import Member
from cocdesk.members.selectors import totp_current_code
from cocdesk.outbox.services import outbox_send
from tests.factories import device_of

pytestmark = pytest.mark.django_db


def test_demo_is_idempotent_and_prints_logins(capsys):
    call_command("demo")
    first = capsys.readouterr().out
    call_command("demo")
    second = capsys.readouterr().out
    assert Member.objects.count() == 4
    assert Case.objects.count() == 3  # sample cases, made once
    assert "Seeded three sample cases" in first
    assert first.replace("Seeded three sample cases.\n", "") == second
    assert "password: demo-committee-2026" in first
    assert "TOTP key:" in first


def test_totp_command_prints_the_current_code(alice, capsys):
    call_command("totp", alice.email)
    assert capsys.readouterr().out.strip() == totp_current_code(device_of(alice))


def test_totp_command_is_refused_in_production(alice, settings):
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="only works in development"):
        call_command("totp", alice.email)


def test_demo_is_refused_in_production(settings):
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="Refused"):
        call_command("demo")


def test_demo_prints_the_base_url_and_ends_with_the_login_details(settings, tmp_path, capsys):
    settings.BASE_URL = "http://127.0.0.1:8101"  # as `PORT=8101 make run` sets COCDESK_BASE_URL
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path / "mail")
    call_command("demo")
    out = capsys.readouterr().out
    outbox_send()  # as `make run`'s `cocdesk send-mail --loop` does
    assert "Log in at http://127.0.0.1:8101/login/ with:" in out
    assert "http://127.0.0.1:8101/dev/mail/" in out and str(tmp_path / "mail") in out
    assert ":8000" not in out
    # Nothing of the mail is printed; it is in files, and its links use the same address.
    assert "Subject:" not in out and "From:" not in out
    written = "".join(p.read_text() for p in (tmp_path / "mail").glob("*.log"))
    assert "Subject:" in written and "http://127.0.0.1:8101/cases/" in written
    assert ":8000" not in written
    # The last lines are the login details.
    lines = out.rstrip("\n").splitlines()
    assert lines[-1] == "  .venv/bin/cocdesk totp ada@example.org"
    block = lines[lines.index("Demo committee ready. Log in at http://127.0.0.1:8101/login/ with:") :]
    assert len(block) == 1 + 4 * 4 + 2  # four people, four lines each, and the TOTP hint
