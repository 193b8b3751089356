"""Enrolment: a one-time link where a member sets a password and enrols TOTP (foundation issue)."""

import html
import re
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from django.core.management import call_command
from django.test import Client

from cocdesk.members.models import Member, Role, TOTPDevice
from cocdesk.members.selectors import totp_current_code, totp_secret_base32
from cocdesk.members.services import enrolment_link_issue, member_add

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "river stone lantern orbit"


def _path(link: str) -> str:
    return link.split("127.0.0.1:8000", 1)[1]


def test_add_member_command_prints_an_enrolment_link(capsys):
    call_command("add_member", "New@Example.org", "--name", "Nia New", "--chair")
    out = capsys.readouterr().out
    member = Member.objects.get(email="new@example.org")
    assert member.role == Role.CHAIR
    assert not member.has_usable_password()
    assert "http://127.0.0.1:8000/enrol/" in out


def test_enrolment_sets_password_and_totp_then_login_works():
    member, link = member_add(email="nia@example.org", name="Nia New")
    client = Client()
    page = client.get(_path(link))
    assert page.status_code == 200
    assert "<svg" in page.text  # the QR code
    device = TOTPDevice.objects.get(user=member, confirmed=False)
    response = client.post(
        _path(link),
        {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD, "code": totp_current_code(device)},
    )
    assert response.status_code == 200
    assert "You're set up" in response.text
    device.refresh_from_db()
    member.refresh_from_db()
    assert device.confirmed and member.check_password(NEW_PASSWORD)
    assert client.get(_path(link)).status_code == 404  # used up


def test_enrolment_with_wrong_code_keeps_what_was_typed_and_explains():
    member, link = member_add(email="nia@example.org", name="Nia New")
    client = Client()
    client.get(_path(link))
    device = TOTPDevice.objects.get(user=member, confirmed=False)
    wrong = f"{(int(totp_current_code(device)) + 1) % 1_000_000:06d}"
    response = client.post(
        _path(link), {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD, "code": wrong}
    )
    assert response.status_code == 200
    assert "That code did not match" in response.text
    assert f'value="{wrong}"' in response.text
    member.refresh_from_db()
    assert not member.has_usable_password()


def test_enrolment_refuses_a_weak_password():
    member, link = member_add(email="nia@example.org", name="Nia New")
    client = Client()
    client.get(_path(link))
    device = TOTPDevice.objects.get(user=member, confirmed=False)
    response = client.post(
        _path(link), {"password": "short", "password_again": "short", "code": totp_current_code(device)}
    )
    assert "too short" in response.text
    assert not TOTPDevice.objects.get(pk=device.pk).confirmed


def test_a_new_enrolment_link_retires_the_old_one():
    member, first = member_add(email="nia@example.org", name="Nia New")
    second = enrolment_link_issue(member=member)
    assert Client().get(_path(first)).status_code == 404
    assert Client().get(_path(second)).status_code == 200


def test_unknown_enrolment_link_is_not_found():
    assert Client().get("/enrol/not-a-token/").status_code == 404


def test_enrolment_on_a_phone_offers_an_otpauth_link_and_the_key_in_groups_of_four():
    member, link = member_add(email="nia@example.org", name="Nia New")
    page = Client().get(_path(link))
    device = TOTPDevice.objects.get(user=member, confirmed=False)
    secret = totp_secret_base32(device)

    hrefs = re.findall(r'href="(otpauth://[^"]+)">Open in your authenticator app<', page.text)
    assert len(hrefs) == 1
    opened = urlsplit(html.unescape(hrefs[0]))
    assert (opened.scheme, opened.netloc) == ("otpauth", "totp")
    assert unquote(opened.path) == "/cocdesk:nia@example.org"
    assert parse_qs(opened.query)["secret"] == [secret]  # the same key as the QR code and the text

    [shown] = re.findall(r'<code class="secret">([^<]+)</code>', page.text)
    groups = shown.split(" ")
    assert all(len(group) == 4 for group in groups[:-1]) and 1 <= len(groups[-1]) <= 4
    assert shown.replace(" ", "") == secret  # authenticator apps ignore the spaces
