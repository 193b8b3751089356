"""Who a request comes from (cocdesk/clients.py): the address behind COCDESK_PROXY_COUNT proxies,
read with django-ipware, and the keyed token that rate limits and django-axes count by."""

import pytest
from axes.helpers import get_client_ip_address
from django.test import RequestFactory

from cocdesk import clients


def request(remote_addr: str = "127.0.0.1", forwarded_for: str | None = None):
    meta = {"REMOTE_ADDR": remote_addr}
    if forwarded_for is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return RequestFactory().get("/", **meta)


@pytest.mark.parametrize(
    ("proxies", "remote_addr", "forwarded_for", "client"),
    [
        # No proxy: the socket's address; a forged header changes nothing.
        (0, "203.0.113.9", None, "203.0.113.9"),
        (0, "203.0.113.9", "198.51.100.1", "203.0.113.9"),
        # nginx: the address it appended, whatever the visitor put to the left of it.
        (1, "127.0.0.1", "203.0.113.9", "203.0.113.9"),
        (1, "127.0.0.1", "198.51.100.1, 203.0.113.9", "203.0.113.9"),
        (1, "127.0.0.1", "not-an-address, 203.0.113.9", "203.0.113.9"),
        (1, "127.0.0.1", "2001:db8::1", "2001:db8::1"),
        # A CDN in front of nginx: the CDN's own address is the last entry.
        (2, "127.0.0.1", "198.51.100.1, 203.0.113.9, 192.0.2.77", "203.0.113.9"),
        # Not through the proxies: nothing to trust.
        (1, "127.0.0.1", None, None),
        (1, "127.0.0.1", "", None),
        (2, "127.0.0.1", "203.0.113.9", None),
    ],
)
def test_the_client_address_is_read_behind_the_configured_proxies(
    settings, proxies, remote_addr, forwarded_for, client
):
    settings.COCDESK_PROXY_COUNT = proxies
    assert clients.client_address(request(remote_addr, forwarded_for)) == client


def test_requests_without_a_trusted_address_are_one_group_and_ipv6_counts_by_64():
    assert clients.client_group(None) == clients.client_group("") == clients.NO_TRUSTED_ADDRESS
    assert clients.client_group("2001:db8:1:2::1") == clients.client_group("2001:db8:1:2:ffff::9")
    assert clients.client_group("2001:db8:1:2::1") != clients.client_group("2001:db8:1:3::1")
    assert clients.client_group("203.0.113.9") == "203.0.113.9"


@pytest.mark.django_db
def test_django_axes_counts_the_same_client_token(settings):
    settings.COCDESK_PROXY_COUNT = 1
    r = request("127.0.0.1", "198.51.100.1, 203.0.113.9")
    token = get_client_ip_address(r)
    assert token == clients.client_token(r)
    assert "203.0.113.9" not in token
    assert token == clients.client_token(request("127.0.0.1", "203.0.113.9"))
    assert token != clients.client_token(request("127.0.0.1", "203.0.113.10"))
