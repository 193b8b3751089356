"""Rate limits on the public pages that cannot be turned against reporters (issue 16).

Behind the documented nginx every request comes from 127.0.0.1 and nginx appends the visitor's
address to whatever X-Forwarded-For the visitor sent. Each test runs on the database cache and on
Redis (`shared_cache`).
"""

import hashlib
import logging
from datetime import timedelta

import pytest
from django.db import DatabaseError
from django.test import Client, TestCase

from cocdesk import clients, clock
from cocdesk.cases.models import Case
from cocdesk.intake import services
from tests.factories import case_factory
from tests.shared_state import copy_of_everything

pytestmark = pytest.mark.django_db

WRONG_CODE = "AAAA-BBBB-CCCC-DDDD-EEEE"


@pytest.fixture
def behind_proxy(settings):
    """One reverse proxy in front (nginx), as docs/operating.md describes."""
    settings.COCDESK_PROXY_COUNT = 1


def via_proxy(address: str, forged: str = "") -> dict:
    """What gunicorn sees when `address` talks to nginx, having sent `X-Forwarded-For: forged`."""
    return {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": f"{forged}, {address}" if forged else address}


def report(text: str = "canary-7a1 he followed me to the hotel") -> dict:
    return {"kind": "anonymous", "preferred_contact": "email", "wants_updates": "no", "what_happened": text}


def post_report(data: dict, **meta):
    with TestCase.captureOnCommitCallbacks(execute=True):
        return Client().post("/report/", data, **meta)


def try_code(code: str, **meta):
    return Client().post("/report/status/", {"code": code}, **meta)


# --- the public report form ---------------------------------------------------------------------


def test_invalid_posts_never_count_towards_the_report_limit(behind_proxy, shared_cache):
    # The attack from issue 16: 20 empty posts with a rotating X-Forwarded-For stopped every report.
    for n in range(20):
        assert post_report({}, **via_proxy("203.0.113.66", forged=f"10.9.{n}.1")).status_code == 200
    assert post_report(report(), **via_proxy("198.51.100.20")).status_code == 302
    assert post_report(report(), **via_proxy("203.0.113.66")).status_code == 302  # nothing valid was sent
    assert Case.objects.count() == 2


def test_a_forged_forwarded_for_neither_escapes_the_limit_nor_blocks_other_reporters(
    behind_proxy, shared_cache, settings
):
    settings.REPORT_RATE_LIMIT = (3, 3600)
    for n in range(3):
        assert post_report(report(), **via_proxy("203.0.113.66", forged=f"10.9.{n}.1")).status_code == 302
    assert post_report(report(), **via_proxy("203.0.113.66", forged="10.9.99.1")).status_code == 429
    assert post_report(report(), **via_proxy("198.51.100.20", forged="203.0.113.66")).status_code == 302


def test_a_blocked_reporter_is_told_when_to_retry_and_keeps_what_they_typed(shared_cache, settings):
    settings.REPORT_RATE_LIMIT = (2, 3600)
    with clock.frozen(clock.parse("2027-03-08T10:20:00+00:00")):
        for _ in range(2):
            assert post_report(report(), REMOTE_ADDR="203.0.113.5").status_code == 302
        blocked = post_report(report("canary-kept what I wrote"), REMOTE_ADDR="203.0.113.5")
    assert blocked.status_code == 429
    assert blocked["Retry-After"] == str(40 * 60)
    assert "in about 40 minutes" in blocked.text
    assert "canary-kept what I wrote" in blocked.text
    assert Case.objects.count() == 2
    with clock.frozen(clock.parse("2027-03-08T11:00:01+00:00")):
        assert post_report(report(), REMOTE_ADDR="203.0.113.5").status_code == 302


def test_a_report_that_could_not_be_stored_does_not_count(shared_cache, settings, monkeypatch):
    settings.REPORT_RATE_LIMIT = (1, 3600)

    def refuse(**kwargs):
        raise DatabaseError("disk full")

    monkeypatch.setattr(services, "web_report_submit", refuse)
    assert post_report(report(), REMOTE_ADDR="203.0.113.5").status_code == 503
    monkeypatch.undo()
    assert post_report(report(), REMOTE_ADDR="203.0.113.5").status_code == 302


# --- the receipt-code portal --------------------------------------------------------------------


def test_strangers_wrong_codes_never_lock_out_a_reporter_with_a_valid_code(behind_proxy, shared_cache):
    # The attack from issue 16: 20 wrong codes blocked a reporter holding a valid code for 10 minutes.
    case = case_factory(kind="anonymous")
    for n in range(20):
        try_code(f"AAAA-BBBB-CCCC-DDDD-{n:04d}", **via_proxy("203.0.113.66", forged=f"10.9.{n}.1"))
    assert try_code(case.receipt_code, **via_proxy("198.51.100.20")).status_code == 302


def test_a_valid_code_works_even_from_an_address_a_guesser_shares(shared_cache):
    # A conference's Wi-Fi: the person guessing and the reporter share one public address.
    case = case_factory(kind="anonymous")
    for n in range(20):
        try_code(f"AAAA-BBBB-CCCC-DDDD-{n:04d}", REMOTE_ADDR="203.0.113.7")
    assert try_code("AAAA-BBBB-CCCC-DDDD-9999", REMOTE_ADDR="203.0.113.7").status_code == 429
    assert try_code(case.receipt_code, REMOTE_ADDR="203.0.113.7").status_code == 302


def test_wrong_codes_are_limited_per_client_and_the_client_is_told_when_to_retry(shared_cache):
    with clock.frozen(clock.parse("2027-03-08T10:02:00+00:00")):
        for n in range(10):
            assert try_code(f"AAAA-BBBB-CCCC-DDDD-{n:04d}", REMOTE_ADDR="203.0.113.1").status_code == 200
        limited = try_code("AAAA-BBBB-CCCC-DDDD-WXYZ", REMOTE_ADDR="203.0.113.1")
        elsewhere = try_code(WRONG_CODE, REMOTE_ADDR="203.0.113.2")
    assert limited.status_code == 429
    assert limited["Retry-After"] == str(8 * 60)
    assert "in about 8 minutes" in limited.text
    assert 'value="AAAA-BBBB-CCCC-DDDD-WXYZ"' in limited.text
    assert elsewhere.status_code == 200
    assert "could not find a report with that code" in elsewhere.text


def test_one_wrong_code_tried_from_many_clients_is_limited_per_code(behind_proxy, shared_cache):
    for n in range(10):
        assert try_code(WRONG_CODE, **via_proxy(f"198.51.100.{n + 1}")).status_code == 200
    assert try_code(WRONG_CODE.lower(), **via_proxy("198.51.100.50")).status_code == 429
    assert try_code("AAAA-BBBB-CCCC-DDDD-FFFF", **via_proxy("198.51.100.50")).status_code == 200


def test_requests_without_a_trustworthy_address_are_one_group_that_blocks_nobody_else(
    behind_proxy, shared_cache
):
    # Requests that did not come through the proxy (no X-Forwarded-For) have no address to trust.
    for n in range(10):
        try_code(f"AAAA-BBBB-CCCC-DDDD-{n:04d}", REMOTE_ADDR="127.0.0.1")
    assert try_code("AAAA-BBBB-CCCC-DDDD-9999", REMOTE_ADDR="127.0.0.1").status_code == 429
    assert (
        try_code("AAAA-BBBB-CCCC-DDDD-9999", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="").status_code
        == 429
    )
    assert try_code("AAAA-BBBB-CCCC-DDDD-9999", **via_proxy("198.51.100.20")).status_code == 200


def test_ipv6_clients_are_counted_by_their_64_bit_prefix(shared_cache):
    # One IPv6 customer holds a whole /64: rotating through it is one client.
    for n in range(10):
        try_code(f"AAAA-BBBB-CCCC-DDDD-{n:04d}", REMOTE_ADDR=f"2001:db8:1:2::{n + 1:x}")
    assert try_code("AAAA-BBBB-CCCC-DDDD-9999", REMOTE_ADDR="2001:db8:1:2:ffff::1").status_code == 429
    assert try_code("AAAA-BBBB-CCCC-DDDD-9999", REMOTE_ADDR="2001:db8:1:3::1").status_code == 200


# --- nothing that links to an address -------------------------------------------------------------


def test_no_client_address_is_stored_or_logged(behind_proxy, shared_cache, caplog, settings):
    caplog.set_level(logging.DEBUG)
    address = "203.0.113.77"
    files_before = set(settings.DATA_DIR.rglob("*"))
    try_code(WRONG_CODE, **via_proxy(address))
    post_report(report(), **via_proxy(address))
    Client().post(
        "/login/", {"email": "x@example.org", "password": "p", "code": "123456"}, **via_proxy(address)
    )
    stored = copy_of_everything() + caplog.text
    assert address not in stored
    for variant in (address, f"{address}/32", "203.0.113.0/24"):
        assert hashlib.sha256(variant.encode()).hexdigest() not in stored
    assert set(settings.DATA_DIR.rglob("*")) - files_before == set()  # no salt on disk either


def test_the_salt_that_hides_addresses_is_shared_and_changes_every_day(shared_cache):
    def token():
        request = Client().get("/").wsgi_request
        request.META["REMOTE_ADDR"] = "203.0.113.9"
        return clients.client_token(request)

    with clock.frozen(clock.parse("2027-03-08T10:00:00+00:00")):
        today = token()
        assert token() == today  # read from the shared cache, not made up by this process
    with clock.frozen(clock.parse("2027-03-08T10:00:00+00:00") + timedelta(days=1)):
        assert token() != today
