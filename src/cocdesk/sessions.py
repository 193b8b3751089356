"""The session engine (SESSION_ENGINE): sessions in the shared cache that a copy of the cache or the
database cannot replay or read (issue 16).

Django's cache session store, with three changes:

- an entry is stored under a keyed hash of the session key (HMAC-SHA256 with SECRET_KEY), never the
  key itself, so the cookie value cannot be rebuilt from a copy of Redis or of the database cache;
- its contents are encrypted (Fernet) with a key derived from the session key, which only the
  browser holds: a copy shows neither who is logged in nor what a reporter was just shown;
- the hashed keys of each member's sessions are indexed, so `member_sessions_end` deletes them all
  at once (disabling an account; the session epoch in the auth hash refuses them besides).

As with Django's engines, nothing is stored until a session holds something: an anonymous visitor
leaves no entry. Entries expire with the cache (Redis itself; the database cache in `cocdesk tick`).

When the cache cannot be read (the database cache during a database outage, Redis unreachable) the
session is empty for that request (nobody is logged in: the safe way to fail) and nothing is written
back, so the stored session is untouched. The public report form still answers: its submission goes
to the spool (intake/spool.py), and committee pages say to try again in a minute (D2).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging

from asgiref.sync import sync_to_async
from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.contrib.sessions.backends.base import CreateError, UpdateError
from django.contrib.sessions.backends.cache import SessionStore as CacheSessionStore
from django.core.cache import caches
from django.db import DatabaseError
from django.utils.crypto import salted_hmac

from cocdesk.errors import database_unavailable

log = logging.getLogger("cocdesk")

KEY_PREFIX = "cocdesk.session:"
INDEX_PREFIX = "cocdesk.member-sessions:"
_INDEXED = "_cocdesk_indexed"  # in the session: the stored key last added to the member's index


def storage_key(session_key: str) -> str:
    """Where a session is stored: a keyed hash of its key, useless as a cookie."""
    return KEY_PREFIX + salted_hmac("cocdesk.sessions.storage", session_key, algorithm="sha256").hexdigest()


def _fernet(session_key: str) -> Fernet:
    key = hmac.new(session_key.encode(), b"cocdesk.sessions.contents", hashlib.sha256).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def _index_lifetime() -> int:
    # No session outlives its absolute lifetime plus one idle period (SessionLifetimeMiddleware).
    return int(settings.SESSION_ABSOLUTE_LIFETIME.total_seconds()) + settings.SESSION_COOKIE_AGE


def member_sessions_end(*, member_id: int) -> int:
    """Delete every stored session of a member; returns how many were indexed.

    Side effects: the member's sessions and their index deleted from the shared cache.
    """
    cache = caches[settings.SESSION_CACHE_ALIAS]
    index_key = INDEX_PREFIX + str(member_id)
    keys = cache.get(index_key) or []
    cache.delete_many([*keys, index_key])
    return len(keys)


class SessionStore(CacheSessionStore):
    cache_key_prefix = KEY_PREFIX
    unavailable = False  # the cache could not be read: this request's session is not written back

    @property
    def cache_key(self) -> str:
        return storage_key(self._get_or_create_session_key())

    def load(self) -> dict:
        try:
            sealed = self._cache.get(self.cache_key)
        except Exception:  # an unreachable cache (or database cache in an outage): empty, not stored
            self.unavailable = True
            return {}
        data = self._unseal(sealed) if isinstance(sealed, str) else None
        if data is not None:
            return data
        self._session_key = None
        return {}

    def save(self, must_create: bool = False) -> None:
        if self.unavailable:
            return None
        try:
            return self._save(must_create)
        except DatabaseError as exc:  # the database cache during an outage: the session waits
            if not database_unavailable(exc):
                raise
            log.warning("a session could not be saved: the database is unavailable")
            return None

    def _save(self, must_create: bool) -> None:
        if self.session_key is None:
            return self.create()
        key = self.cache_key
        if must_create:
            store = self._cache.add
        elif self._cache.has_key(key):
            store = self._cache.set
        else:
            raise UpdateError
        data = self._get_session(no_load=must_create)
        self._index(data, key)
        if not store(key, self._seal(data), self.get_expiry_age()) and must_create:
            raise CreateError

    def exists(self, session_key: str | None) -> bool:
        try:
            return bool(session_key) and self._cache.has_key(storage_key(session_key))
        except DatabaseError as exc:
            if not database_unavailable(exc):
                raise
            self.unavailable = True
            return False

    def delete(self, session_key: str | None = None) -> None:
        session_key = session_key or self.session_key
        if session_key:
            self._cache.delete(storage_key(session_key))

    def _seal(self, data: dict) -> str:
        return _fernet(self.session_key).encrypt(self.encode(data).encode()).decode()

    def _unseal(self, sealed: str) -> dict | None:
        try:
            return self.decode(_fernet(self.session_key).decrypt(sealed.encode()).decode())
        except (InvalidToken, ValueError):
            return None

    def _index(self, data: dict, key: str) -> None:
        """Add this session to its member's index when it first holds a login under this key."""
        member_id = data.get("_auth_user_id")
        if member_id is None or data.get(_INDEXED) == key:
            return
        data[_INDEXED] = key
        index_key = INDEX_PREFIX + str(member_id)
        earlier = [k for k in self._cache.get(index_key) or [] if k != key]
        live = self._cache.get_many(earlier) if earlier else {}
        self._cache.set(index_key, [*(k for k in earlier if k in live), key], _index_lifetime())

    # The async API (not used under WSGI) runs the same code.
    async def acache_key(self) -> str:
        return storage_key(await self._aget_or_create_session_key())

    async def aload(self) -> dict:
        return await sync_to_async(self.load)()

    async def asave(self, must_create: bool = False) -> None:
        return await sync_to_async(self.save)(must_create)

    async def aexists(self, session_key: str | None) -> bool:
        return await sync_to_async(self.exists)(session_key)

    async def adelete(self, session_key: str | None = None) -> None:
        return await sync_to_async(self.delete)(session_key)
