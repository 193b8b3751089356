"""Rate limits for the public pages that cannot be turned against reporters (issue 16).

- Reports: each client may send REPORT_RATE_LIMIT *successful* reports per window. Invalid posts
  and reports that could not be stored do not count.
- Receipt codes: wrong codes are counted per client and per code (RECEIPT_CODE_RATE_LIMIT each).
  A client or a code over its limit is told when to try again. A valid code always opens its case:
  other people's wrong guesses, even from the same address (a conference's Wi-Fi), never lock a
  reporter out, and a code's own count grows only with failed tries of that very code. Codes carry
  98 bits, so the limits keep the noise down; they are not what makes guessing hopeless.
- Never a global bucket: whoever fills their own bucket blocks only themselves. Clients are counted
  by `clients.client_token` (a keyed hash of the address behind the trusted proxies; requests with
  no address to trust are one group of their own).

Counts live in the shared cache (Redis or the database cache) in fixed windows: the window a
moment falls in is the same on every server, and so is the answer to "when may I try again".
When Redis cannot be reached, reporters are let through rather than turned away.
"""

from __future__ import annotations

import logging
import math

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError
from django.http import HttpRequest
from redis.exceptions import RedisError

from cocdesk import clients, clock
from cocdesk.receipts import receipt_code_normalize

log = logging.getLogger("cocdesk.intake")

_GRACE = 60  # seconds a counter outlives its window, so an increment never lands on an expired key

# Redis unreachable, or the database cache down with the database: reporters are let through.
SHARED_STATE_DOWN = (RedisError, DatabaseError)


def _window(seconds: int) -> tuple[int, int]:
    """The current window's number and the seconds left in it (at least 1)."""
    now = clock.now().timestamp()
    number = int(now // seconds)
    return number, max(1, math.ceil((number + 1) * seconds - now))


def _key(scope: str, subject: str, seconds: int) -> tuple[str, int]:
    number, left = _window(seconds)
    return f"cocdesk.rl:{scope}:{seconds}:{number}:{subject}", left


def _add_one(key: str, left: int) -> int:
    cache.add(key, 0, timeout=left + _GRACE)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=left + _GRACE)
        return 1


def _unavailable() -> int:
    log.warning("the shared cache is unreachable: rate limits are not applied")
    return 0


# --- reports --------------------------------------------------------------------------------------


def report_slot_take(request: HttpRequest) -> int:
    """Take one of this client's report slots before storing a valid report.

    Returns 0 when the slot is taken, otherwise the seconds until the client may send again.
    Side effects: the client's count in the shared cache goes up by one when a slot is taken.
    """
    attempts, seconds = settings.REPORT_RATE_LIMIT
    try:
        key, left = _key("report", clients.client_token(request), seconds)
        if _add_one(key, left) <= attempts:
            return 0
        cache.decr(key)  # a refused report takes no slot
        return left
    except SHARED_STATE_DOWN:
        return _unavailable()


def report_slot_give_back(request: HttpRequest) -> None:
    """The report could not be stored after all: it does not count. Side effects: count down by one."""
    _attempts, seconds = settings.REPORT_RATE_LIMIT
    try:
        key, _left = _key("report", clients.client_token(request), seconds)
        cache.decr(key)
    except (*SHARED_STATE_DOWN, ValueError):  # unreachable, or the window has just ended
        pass


# --- receipt codes -------------------------------------------------------------------------------


def _code_keys(request: HttpRequest, code: str) -> tuple[list[str], int]:
    _attempts, seconds = settings.RECEIPT_CODE_RATE_LIMIT
    by_client, left = _key("code-client", clients.client_token(request), seconds)
    by_code, _left = _key("code", clients.keyed("receipt:" + receipt_code_normalize(code)), seconds)
    return [by_client, by_code], left


def code_wait(request: HttpRequest, *, code: str) -> int:
    """Seconds until this client may try a wrong code again, or anyone may try this one; 0 if now.

    Asked only about codes that opened no case: a valid code is never refused.
    """
    attempts, _seconds = settings.RECEIPT_CODE_RATE_LIMIT
    try:
        keys, left = _code_keys(request, code)
        counts = cache.get_many(keys)
    except SHARED_STATE_DOWN:
        return _unavailable()
    return left if any(counts.get(key, 0) >= attempts for key in keys) else 0


def code_failed(request: HttpRequest, *, code: str) -> None:
    """Count a wrong code against the client and against the code.

    Side effects: two counts in the shared cache, each under a keyed hash (neither the address nor the
    code is stored).
    """
    try:
        keys, left = _code_keys(request, code)
        for key in keys:
            _add_one(key, left)
    except SHARED_STATE_DOWN:
        _unavailable()


def reset() -> None:
    """Tests start from zero."""
    cache.clear()
