"""`cocdesk demo` and `cocdesk totp` (foundation issue)."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from cocdesk.cases.models import Case
from cocdesk.members.models import Member
from cocdesk.members.selectors import totp_current_code
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
