"""Who a request comes from, as far as rate limits and the login lockout need to know, without
ever keeping an address (D14; issue 16).

The address: django-ipware reads it with one setting, COCDESK_PROXY_COUNT, the number of reverse
proxies in front of cocdesk that each append the address they saw to X-Forwarded-For. With N
proxies the client is the N-th address from the right; anything to its left was sent by the client
and may be forged. With none, it is REMOTE_ADDR. A request that does not carry that many addresses
(it did not come through the proxies) has no address to trust: all such requests form one group,
which can block only itself, never a client whose address is known. An IPv6 client is its /64
network (one customer holds a whole /64).

The token: the address becomes HMAC-SHA256 under a key made from SECRET_KEY and a random salt of the
day. The salt lives only in the shared cache, so every process and host agrees on it, and expires
after a day and a bit: counters from earlier days cannot be linked to an address, even by someone
holding SECRET_KEY and a copy of the cache. Nothing here is written to disk, the database or a log.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.utils.crypto import salted_hmac
from ipware.ip import get_client_ip

from cocdesk import clock

NO_TRUSTED_ADDRESS = "no trusted address"
SALT_LIFETIME = timedelta(hours=26)  # the day, plus the longest window that starts in it
_SALT_KEY = "cocdesk.client-salt:{day}"
_REQUEST_ATTRIBUTE = "_cocdesk_client_token"


def client_address(request: HttpRequest) -> str | None:
    """The client's address as the trusted proxies report it, or None when there is none to trust."""
    count = settings.COCDESK_PROXY_COUNT
    if count:
        # ipware counts the proxies *listed* in the header; the last proxy's own address is REMOTE_ADDR.
        address, _routable = get_client_ip(
            request,
            proxy_order="left-most",
            proxy_count=count - 1,
            request_header_order=["HTTP_X_FORWARDED_FOR"],
            strict=False,  # a forged left part is ignored, not a reason to distrust the right part
        )
    else:
        address, _routable = get_client_ip(request, request_header_order=["REMOTE_ADDR"], strict=False)
    return address


def client_group(address: str | None) -> str:
    """What a rate limit counts: the address, an IPv6 address's /64, or the untrusted group."""
    if not address:
        return NO_TRUSTED_ADDRESS
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return NO_TRUSTED_ADDRESS
    if parsed.version == 6:
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


def _day_key() -> bytes:
    day_salt_key = _SALT_KEY.format(day=clock.now().date().isoformat())
    salt = cache.get(day_salt_key)
    if salt is None:
        cache.add(day_salt_key, secrets.token_hex(32), timeout=int(SALT_LIFETIME.total_seconds()))
        salt = cache.get(day_salt_key)  # whichever process added it first
    if salt is None:
        raise RuntimeError("The shared cache does not keep entries; see settings.CACHES.")
    return salted_hmac("cocdesk.clients.day-key", salt, algorithm="sha256").digest()


def keyed(value: str) -> str:
    """A keyed hash of `value` that changes every day and links to nothing once the day's salt expired."""
    return hmac.new(_day_key(), value.encode(), hashlib.sha256).hexdigest()[:32]


def client_token(request: HttpRequest) -> str:
    """The client of `request` as rate limits and django-axes count it (AXES_CLIENT_IP_CALLABLE)."""
    token = getattr(request, _REQUEST_ATTRIBUTE, None)
    if token is None:
        token = keyed("client:" + client_group(client_address(request)))
        setattr(request, _REQUEST_ATTRIBUTE, token)
    return token


def client_description(username, ip_address, user_agent, path_info, request) -> str:
    """How django-axes names a client in its log lines (AXES_CLIENT_STR_CALLABLE): never the address,
    the user agent or the email address typed (it may be a member's mistyped personal address)."""
    return "a client"
