"""Rate limits for the public pages that never persist a client address.

The counter key is an HMAC of the address under a random salt that lives only in this process's
memory and changes every day, kept in the process cache: nothing written to disk or database can
be linked back to an address.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from django.core.cache import cache
from django.http import HttpRequest

from cocdesk import clock

_salts: dict[str, bytes] = {}


def _salt() -> bytes:
    day = clock.now().date().isoformat()
    if day not in _salts:
        _salts.clear()
        _salts[day] = secrets.token_bytes(32)
    return _salts[day]


def _client_key(request: HttpRequest, scope: str) -> str:
    address = request.META.get("REMOTE_ADDR", "")
    digest = hmac.new(_salt(), address.encode(), hashlib.sha256).hexdigest()[:32]
    return f"rl:{scope}:{digest}"


def hit(request: HttpRequest, scope: str, limit: int, window_seconds: int) -> bool:
    """Count one attempt; True while the client is within `limit` attempts per window."""
    key = _client_key(request, scope)
    if cache.add(key, 1, timeout=window_seconds):
        return True
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=window_seconds)
        return True
    return count <= limit


def reset() -> None:
    """Tests start from zero."""
    cache.clear()
